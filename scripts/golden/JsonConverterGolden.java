// Prints what Kafka Connect's real JsonConverter produces for a fixed set of schemas and values, one case per
// line: name TAB schemas.enable=true bytes TAB schemas.enable=false bytes TAB decimal.format=NUMERIC bytes.
// Tests/ConvertersTests/JsonConverterGoldenTests.swift builds the same cases and must match byte for byte.
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.kafka.connect.data.*;
import org.apache.kafka.connect.json.JsonConverter;

public class JsonConverterGolden {
  static JsonConverter conv(boolean schemas, String decimalFormat) {
    JsonConverter c = new JsonConverter();
    Map<String, Object> cfg = new HashMap<>();
    cfg.put("schemas.enable", schemas);
    cfg.put("decimal.format", decimalFormat);
    c.configure(cfg, false);
    return c;
  }

  static final JsonConverter WITH = conv(true, "BASE64"), WITHOUT = conv(false, "BASE64"), NUMERIC = conv(false, "NUMERIC");

  static void emit(String name, Schema schema, Object value) {
    System.out.println(name + "\t" + s(WITH.fromConnectData("t", schema, value)) + "\t"
        + s(WITHOUT.fromConnectData("t", schema, value)) + "\t" + s(NUMERIC.fromConnectData("t", schema, value)));
  }

  static String s(byte[] b) { return b == null ? "<null>" : new String(b, StandardCharsets.UTF_8); }

  public static void main(String[] args) {
    emit("int8", Schema.INT8_SCHEMA, (byte) 42);
    emit("int16", Schema.INT16_SCHEMA, (short) -300);
    emit("int32", Schema.INT32_SCHEMA, Integer.MIN_VALUE);
    emit("int64", Schema.INT64_SCHEMA, 9007199254740993L);
    emit("float32", Schema.FLOAT32_SCHEMA, 1.1f);
    emit("float32-big", Schema.FLOAT32_SCHEMA, 3.4028235e38f);
    emit("float32-small", Schema.FLOAT32_SCHEMA, 1.0e-5f);
    emit("float64", Schema.FLOAT64_SCHEMA, 0.1);
    emit("float64-1e10", Schema.FLOAT64_SCHEMA, 1e10);
    emit("float64-1e7", Schema.FLOAT64_SCHEMA, 1e7);
    emit("float64-9999999", Schema.FLOAT64_SCHEMA, 9999999.5);
    emit("float64-1e-3", Schema.FLOAT64_SCHEMA, 0.001);
    emit("float64-1e-7", Schema.FLOAT64_SCHEMA, 1.5e-7);
    emit("float64-plain", Schema.FLOAT64_SCHEMA, 123456.789);
    emit("float64-int", Schema.FLOAT64_SCHEMA, 100.0);
    emit("float64-negzero", Schema.FLOAT64_SCHEMA, -0.0);
    emit("float64-nan", Schema.FLOAT64_SCHEMA, Double.NaN);
    emit("float64-inf", Schema.FLOAT64_SCHEMA, Double.NEGATIVE_INFINITY);
    emit("float64-max", Schema.FLOAT64_SCHEMA, Double.MAX_VALUE);
    emit("boolean", Schema.BOOLEAN_SCHEMA, true);
    emit("string", Schema.STRING_SCHEMA, "h\u00e9llo \"q\" \\ / \n\t\r\b\f\u0001\u001f\u007f \ud83d\ude00");
    emit("bytes", Schema.BYTES_SCHEMA, new byte[] {0, (byte) 255, 16, 1});
    emit("bytes-empty", Schema.BYTES_SCHEMA, new byte[] {});
    emit("optional-null", Schema.OPTIONAL_INT32_SCHEMA, null);
    emit("default-used", SchemaBuilder.int32().optional().defaultValue(5).build(), null);
    emit("string-default", SchemaBuilder.string().defaultValue("hi").build(), "x");
    emit("array", SchemaBuilder.array(Schema.INT32_SCHEMA).build(), Arrays.asList(1, 2, 3));
    Map<String, Long> sm = new LinkedHashMap<>(); sm.put("a", 1L); sm.put("b", 2L);
    emit("map-string", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build(), sm);
    Map<Integer, String> im = new LinkedHashMap<>(); im.put(1, "x"); im.put(2, null);
    emit("map-int", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA).optional().build(), im);
    emit("decimal", Decimal.builder(3).parameter("connect.decimal.precision", "10").build(), new BigDecimal("1234567.891"));
    emit("decimal-negative", Decimal.schema(1), new BigDecimal("-0.5"));
    emit("decimal-big", Decimal.schema(3), new BigDecimal("-12345678901234567890.123"));
    emit("decimal-128", Decimal.schema(0), new BigDecimal("128"));
    emit("decimal-zero", Decimal.schema(2), new BigDecimal("0.00"));
    emit("date", org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(19782L * 86400000L));
    emit("time", Time.SCHEMA, new java.util.Date(3600000L));
    emit("timestamp", Timestamp.SCHEMA, new java.util.Date(1709214301123L));
    emit("documented", SchemaBuilder.string().name("io.x.Doc").version(3).doc("a \"doc\"").parameter("allowed", "a,b").parameter("z", "1").build(), "a");
    Schema inner = SchemaBuilder.struct().name("io.debezium.data.VariableScaleDecimal").version(1).doc("Variable scaled decimal")
        .field("scale", Schema.INT32_SCHEMA).field("value", Schema.BYTES_SCHEMA).optional().build();
    Schema outer = SchemaBuilder.struct().name("srv.public.t.Value")
        .field("id", Schema.INT32_SCHEMA).field("name", Schema.OPTIONAL_STRING_SCHEMA)
        .field("amount", inner).field("flag", SchemaBuilder.bool().optional().defaultValue(true).build())
        .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build()).build();
    Struct v = new Struct(outer).put("id", 7).put("name", null)
        .put("amount", new Struct(inner).put("scale", 2).put("value", new byte[] {0x30, 0x39}))
        .put("flag", null).put("tags", Arrays.asList("x", "y"));
    emit("struct", outer, v);
    emit("named-default", SchemaBuilder.int32().name("io.debezium.time.Date").version(1).defaultValue(0).optional().build(), null);
    emit("tombstone", null, null);
  }
}
