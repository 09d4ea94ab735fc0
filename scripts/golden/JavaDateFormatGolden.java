// Prints what java.text.SimpleDateFormat (UTC, US symbols, lenient: as Kafka Connect's TimestampConverter and
// TimestampRouter use it) writes and reads for a fixed set of patterns and instants, one case per line:
//   F TAB pattern TAB epoch millis TAB text
//   P TAB pattern TAB text TAB epoch millis (or ERROR)
// Tests/TransformsTests/JavaDateFormatTests.swift reads the committed file and must agree with every line.
import java.text.ParseException;
import java.text.SimpleDateFormat;
import java.util.*;

public class JavaDateFormatGolden {
  static SimpleDateFormat format(String pattern) {
    SimpleDateFormat f = new SimpleDateFormat(pattern, Locale.US);
    f.setTimeZone(TimeZone.getTimeZone("UTC"));
    return f;
  }

  public static void main(String[] args) {
    String[] patterns = {
      "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
      "G yyyy MMMM MMM MM M dd d D E EEEE u F w W",
      "a hh h kk k KK K HH H mm m ss s SSS S SSSSSS z zzzz Z X XX XXX",
      "yy y yyy yyyyy YYYY YY LLL",
      "''yyyy'-''-'MM''",
      "yyyyMMddHHmmss",
    };
    long[] instants = {
      0L, -1L, 1709214301123L, -12219292800000L, -12219292800001L, -62135596800000L, -62135596800001L,
      -62167219200000L, Long.MAX_VALUE, Long.MIN_VALUE, 253402300799999L, 1703980800000L, 1735603200000L,
      1704067199999L, 1609459200000L, -94670856000000L, 43200000L, 86399999L, 951782400000L, 4107542400000L,
    };
    for (String p : patterns) {
      SimpleDateFormat f = format(p);
      for (long ms : instants) System.out.println("F\t" + p + "\t" + ms + "\t" + f.format(new Date(ms)));
    }
    String[][] parses = {
      {"yyyy-MM-dd HH:mm:ss", "2024-02-29 13:45:01"}, {"yyyy-MM-dd HH:mm:ss", "2024-13-01 00:00:00"},
      {"yyyy-MM-dd HH:mm:ss", "2024-02-30 25:61:61"}, {"yyyy-MM-dd HH:mm:ss", "1500-03-01 00:00:00"},
      {"yyyy-MM-dd HH:mm:ss", "2024-02-29"}, {"yyyy-MM-dd HH:mm:ss", "x2024-02-29 00:00:00"},
      {"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-02-29T13:45:01.123+02:00"},
      {"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-02-29T13:45:01.123Z"},
      {"yyyy-MM-dd'T'HH:mm:ssX", "2024-02-29T13:45:01-0530"}, {"yyyyMMddHHmmss", "20240229134501"},
      {"yyyyMMdd", "2024022"}, {"dd MMM yyyy", "29 feb 2024"}, {"dd MMM yyyy", "29 February 2024"},
      {"dd MMMM yyyy", "29 Feb 2024"}, {"EEE, dd MMM yyyy HH:mm:ss Z", "Thu, 29 Feb 2024 13:45:01 +0200"},
      {"EEE, dd MMM yyyy HH:mm:ss Z", "Mon, 29 Feb 2024 13:45:01 -0000"},
      {"hh:mm a", "12:30 AM"}, {"hh:mm a", "12:30 PM"}, {"hh:mm a", "01:30 pm"}, {"HH:mm", "24:00"},
      {"kk:mm", "24:15"}, {"yyyy-MM-dd HH:mm:ss.SSS", "2024-02-29 13:45:01.123456"},
      {"yyyy-MM-dd", "2024-02-29 and more"}, {"D yyyy", "60 2024"}, {"G yyyy-MM-dd", "BC 0044-03-15"},
      {"yyyy-MM-dd z", "2024-01-01 UTC"}, {"yyyy-MM-dd z", "2024-01-01 GMT+01:00"},
      {"yyyy-MM-dd Z", "2024-01-01 +01"}, {"yyyy-MM-dd", "2024-1-5"}, {"MM/dd/yyyy", "1/5/2024"},
      {"yyyy-MM-dd", ""}, {"yyyy", "99999"}, {"yyyy-MM-dd HH:mm", "1582-10-10 12:00"},
      {"yyyy-MM-dd", "2024-00-00"}, {"'at' HH 'o''clock'", "at 07 o'clock"},
    };
    for (String[] c : parses) {
      String result;
      try {
        result = Long.toString(format(c[0]).parse(c[1]).getTime());
      } catch (ParseException e) {
        result = "ERROR";
      }
      System.out.println("P\t" + c[0] + "\t" + c[1] + "\t" + result);
    }
  }
}
