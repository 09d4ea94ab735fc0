/// A Kafka Connect value.
///
/// Logical types keep their wire representation: `Date` is `.int32` days, `Time` `.int32` milliseconds,
/// `Timestamp` `.int64` milliseconds, and `Decimal` is `.decimal`, whose unscaled value is kept as Connect
/// serializes it. That keeps converters free of calendar or big-number arithmetic on the hot path.
public enum Value: Sendable, Equatable {
    case null
    case boolean(Bool)
    case int8(Int8)
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case string(String)
    case bytes([UInt8])
    case decimal(BigDecimal)
    case array([Value])
    /// Entries in order; keys may be of any schema type, as in Connect.
    case map([MapEntry])
    case `struct`(Struct)

    public var isNull: Bool { if case .null = self { return true } else { return false } }
    public var isBytes: Bool { if case .bytes = self { return true } else { return false } }
}

/// One entry of a map value.
public struct MapEntry: Sendable, Equatable {
    public var key: Value
    public var value: Value

    public init(key: Value, value: Value) {
        self.key = key
        self.value = value
    }
}

/// A struct value: values positioned as the fields of its schema.
public struct Struct: Sendable, Equatable {
    public let schema: Schema
    public var values: [Value]

    /// A struct with every field null; set fields with the subscripts.
    public init(schema: Schema) {
        precondition(schema.type == .struct, "Struct needs a struct schema")
        self.schema = schema
        self.values = Array(repeating: .null, count: schema.fields.count)
    }

    public init(schema: Schema, values: [Value]) {
        precondition(schema.fields.count == values.count, "one value per field")
        self.schema = schema
        self.values = values
    }

    public subscript(index: Int) -> Value {
        get { values[index] }
        set { values[index] = newValue }
    }

    /// The value of the field called `name`; `.null` if there is no such field.
    public subscript(name: String) -> Value {
        get { schema.field(named: name).map { values[$0.index] } ?? .null }
        set {
            guard let field = schema.field(named: name) else { preconditionFailure("no field \(name)") }
            values[field.index] = newValue
        }
    }

    /// Connect's `Struct.get` (a null field reads as its schema's default) or, without replacing,
    /// `getWithoutDefault`.
    public func value(at index: Int, replacingNullWithDefault: Bool) -> Value {
        let v = values[index]
        if replacingNullWithDefault, v.isNull, let d = schema.fields[index].schema.defaultValue { return d }
        return v
    }

    public static func == (lhs: Struct, rhs: Struct) -> Bool {
        lhs.schema === rhs.schema && lhs.values == rhs.values
    }
}
