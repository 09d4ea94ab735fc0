// Prints what Kafka Connect's default header converter (SimpleHeaderConverter) writes for a fixed set of values,
// one case per line: name TAB header text. Tests/ConvertersTests/SimpleHeaderFormatTests.swift builds the same
// cases and must match byte for byte.
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.kafka.connect.data.*;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

public class SimpleHeaderGolden {
  static final SimpleHeaderConverter C = new SimpleHeaderConverter();

  static void emit(String name, Schema schema, Object value) {
    byte[] b = C.fromConnectHeader("t", "h", schema, value);
    System.out.println(name + "\t" + (b == null ? "<null>" : new String(b, StandardCharsets.UTF_8)));
  }

  public static void main(String[] args) {
    C.configure(Map.of());
    Schema key = SchemaBuilder.struct().name("p.public.t.Key").field("id", Schema.INT32_SCHEMA)
        .field("s", Schema.OPTIONAL_STRING_SCHEMA).field("b", Schema.OPTIONAL_BYTES_SCHEMA)
        .field("d", Schema.OPTIONAL_FLOAT64_SCHEMA).build();
    emit("key", key, new Struct(key).put("id", 5).put("s", "a\"b\\c ü").put("b", new byte[] {1, 2}).put("d", 1.0e20));
    emit("key-nulls", key, new Struct(key).put("id", -7));
    Schema vsd = SchemaBuilder.struct().name("io.debezium.data.VariableScaleDecimal")
        .field("scale", Schema.INT32_SCHEMA).field("value", Schema.BYTES_SCHEMA).build();
    Schema mixed = SchemaBuilder.struct().name("K").field("dec", Decimal.builder(2).build())
        .field("tiny", Decimal.builder(7).build()).field("big", Decimal.builder(0).build())
        .field("f", Schema.FLOAT32_SCHEMA).field("bo", Schema.BOOLEAN_SCHEMA).field("v", vsd)
        .field("l", Schema.INT64_SCHEMA).field("arr", SchemaBuilder.array(Schema.INT16_SCHEMA).build()).build();
    emit("mixed", mixed, new Struct(mixed).put("dec", new BigDecimal("-12.50")).put("tiny", new BigDecimal("0.0000001"))
        .put("big", new BigDecimal("100000000000000000000")).put("f", 1.5f).put("bo", true)
        .put("v", new Struct(vsd).put("scale", 1).put("value", new byte[] {5})).put("l", 9007199254740993L)
        .put("arr", List.of((short) 1, (short) -2)));
    emit("string", Schema.STRING_SCHEMA, "plain \"text\"");
    emit("int", Schema.INT32_SCHEMA, 42);
  }
}
