import TributaryCore

/// Protobuf's wire types: how a field's value is laid out after its key (`tag << 3 | wire type`).
enum ProtoWireType: UInt64 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A Protobuf scalar type, by its name in `.proto` text: what the writer derives from Connect types (the first
/// seven) and every one the reader meets.
enum ProtoScalar: String, Sendable {
    case int32, int64, uint32, uint64, sint32, sint64, fixed32, fixed64, sfixed32, sfixed64, float, double, bool
    case string, bytes

    /// The scalar Confluent's `ProtobufData` writes a Connect type as.
    init(_ type: SchemaType) {
        switch type {
        case .int8, .int16, .int32: self = .int32
        case .int64: self = .int64
        case .float32: self = .float
        case .float64: self = .double
        case .boolean: self = .bool
        case .string: self = .string
        default: self = .bytes
        }
    }

    /// How values of this type are laid out.
    var wireType: ProtoWireType {
        switch self {
        case .fixed64, .sfixed64, .double: .fixed64
        case .fixed32, .sfixed32, .float: .fixed32
        case .string, .bytes: .lengthDelimited
        default: .varint
        }
    }

    /// Whether repeated values of this type are packed (proto3 packs every type but strings and bytes).
    var isPacked: Bool { self != .string && self != .bytes }

    /// The `google.protobuf` wrapper message holding one value of a type the writer derives.
    var wrapperName: String {
        switch self {
        case .int32: "Int32Value"
        case .int64: "Int64Value"
        case .uint32: "UInt32Value"
        case .uint64: "UInt64Value"
        case .float: "FloatValue"
        case .double: "DoubleValue"
        case .bool: "BoolValue"
        case .string: "StringValue"
        default: "BytesValue"
        }
    }
}
