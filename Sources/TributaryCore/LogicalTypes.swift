/// Kafka Connect's logical types (`org.apache.kafka.connect.data.*`): named schemas over primitive types.
public enum ConnectLogical {
    public static let decimalName = "org.apache.kafka.connect.data.Decimal"
    public static let dateName = "org.apache.kafka.connect.data.Date"
    public static let timeName = "org.apache.kafka.connect.data.Time"
    public static let timestampName = "org.apache.kafka.connect.data.Timestamp"
    /// Parameter holding a Decimal's scale.
    public static let scaleParameter = "scale"
    /// Parameter Connect's converters use for a Decimal's precision.
    public static let precisionParameter = "connect.decimal.precision"

    /// `Decimal`: bytes holding the unscaled value; `precision` is recorded when known.
    public static func decimal(scale: Int, precision: Int? = nil, optional: Bool = false) -> Schema {
        var parameters = [(scaleParameter, String(scale))]
        if let precision { parameters.append((precisionParameter, String(precision))) }
        return Schema(type: .bytes, optional: optional, name: decimalName, version: 1, parameters: parameters)
    }

    /// `Date`: int32 days since the epoch.
    public static func date(optional: Bool = false) -> Schema {
        Schema(type: .int32, optional: optional, name: dateName, version: 1)
    }

    /// `Time`: int32 milliseconds since midnight.
    public static func time(optional: Bool = false) -> Schema {
        Schema(type: .int32, optional: optional, name: timeName, version: 1)
    }

    /// `Timestamp`: int64 milliseconds since the epoch.
    public static func timestamp(optional: Bool = false) -> Schema {
        Schema(type: .int64, optional: optional, name: timestampName, version: 1)
    }
}

/// Debezium's semantic types (`io.debezium.time.*`, `io.debezium.data.*`): named schemas that Debezium
/// consumers recognize by name.
public enum DebeziumSemantic {
    /// int32 days since the epoch.
    public static let date = "io.debezium.time.Date"
    /// int32 milliseconds since midnight.
    public static let time = "io.debezium.time.Time"
    /// int64 microseconds since midnight.
    public static let microTime = "io.debezium.time.MicroTime"
    /// int64 nanoseconds since midnight.
    public static let nanoTime = "io.debezium.time.NanoTime"
    /// int64 milliseconds since the epoch, no time zone.
    public static let timestamp = "io.debezium.time.Timestamp"
    /// int64 microseconds since the epoch, no time zone.
    public static let microTimestamp = "io.debezium.time.MicroTimestamp"
    /// int64 nanoseconds since the epoch, no time zone.
    public static let nanoTimestamp = "io.debezium.time.NanoTimestamp"
    /// ISO-8601 string with offset.
    public static let zonedTimestamp = "io.debezium.time.ZonedTimestamp"
    /// ISO-8601 time string with offset.
    public static let zonedTime = "io.debezium.time.ZonedTime"
    /// ISO-8601 duration string.
    public static let isoDuration = "io.debezium.time.IsoDuration"
    /// int64 microseconds of a duration (a month counted as 30.4375 days).
    public static let microDuration = "io.debezium.time.MicroDuration"
    /// ISO-8601 duration string with every field (`P1Y2M3DT4H5M6.78S`).
    public static let interval = "io.debezium.time.Interval"
    /// int32 year.
    public static let year = "io.debezium.time.Year"
    /// Struct {scale: int32, value: bytes} for decimals of unknown scale.
    public static let variableScaleDecimal = "io.debezium.data.VariableScaleDecimal"
    /// String holding JSON.
    public static let json = "io.debezium.data.Json"
    /// String holding XML.
    public static let xml = "io.debezium.data.Xml"
    /// String holding a UUID.
    public static let uuid = "io.debezium.data.Uuid"
    /// Bytes of a bit string.
    public static let bits = "io.debezium.data.Bits"
    /// String restricted to `allowed` values.
    public static let enumeration = "io.debezium.data.Enum"
    /// String holding a set of `allowed` values.
    public static let enumSet = "io.debezium.data.EnumSet"
    /// String holding a PostgreSQL `ltree` label path.
    public static let ltree = "io.debezium.data.Ltree"
    /// String holding a PostgreSQL `tsvector`.
    public static let tsvector = "io.debezium.data.Tsvector"
    /// Struct {x, y, wkb, srid} for a point.
    public static let point = "io.debezium.data.geometry.Point"
    /// Struct {wkb, srid} for any geometry.
    public static let geometry = "io.debezium.data.geometry.Geometry"

    /// The `io.debezium.data.geometry.Point` struct schema.
    public static func pointSchema(optional: Bool) -> Schema {
        optional ? pointOptional : pointRequired
    }

    private static let pointRequired = makePoint(optional: false)
    private static let pointOptional = makePoint(optional: true)
    private static func makePoint(optional: Bool) -> Schema {
        .struct(
            name: point, optional: optional, version: 1, doc: "Geometry (POINT)",
            fields: [("x", .float64), ("y", .float64), ("wkb", .optionalBytes), ("srid", .optionalInt32)])
    }

    /// A point's value: its coordinates, and its well-known binary form (little-endian, no SRID), as Debezium's
    /// `Point.createValue` builds it.
    public static func pointValue(x: Double, y: Double, schema: Schema) -> Value {
        var wkb: [UInt8] = [1, 1, 0, 0, 0]
        wkb.reserveCapacity(21)
        withUnsafeBytes(of: x.bitPattern.littleEndian) { wkb.append(contentsOf: $0) }
        withUnsafeBytes(of: y.bitPattern.littleEndian) { wkb.append(contentsOf: $0) }
        return .struct(Struct(schema: schema, values: [.float64(x), .float64(y), .bytes(wkb), .null]))
    }

    /// A semantic schema over a primitive type, with Debezium's version 1 where Debezium sets one.
    public static func schema(
        _ name: String, _ type: SchemaType, optional: Bool = false, version: Int? = 1,
        parameters: [(String, String)]? = nil
    ) -> Schema {
        Schema(type: type, optional: optional, name: name, version: version, parameters: parameters)
    }

    /// The `io.debezium.data.VariableScaleDecimal` struct schema.
    public static func variableScaleDecimalSchema(optional: Bool) -> Schema {
        optional ? variableScaleDecimalOptional : variableScaleDecimalRequired
    }

    private static let variableScaleDecimalRequired = makeVariableScaleDecimal(optional: false)
    private static let variableScaleDecimalOptional = makeVariableScaleDecimal(optional: true)
    private static func makeVariableScaleDecimal(optional: Bool) -> Schema {
        .struct(
            name: variableScaleDecimal, optional: optional, version: 1, doc: "Variable scaled decimal",
            fields: [("scale", .int32), ("value", .bytes)])
    }
}
