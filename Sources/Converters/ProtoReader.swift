import TributaryCore

/// A cursor over Protobuf's binary encoding that reads messages into Connect values by a `ReadMessage` plan.
/// Every length is checked against the bytes left; unknown fields are skipped by their wire type.
struct ProtoReader {
    let bytes: [UInt8]
    var position: Int

    init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
    }

    mutating func varint() throws(DataError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw DataError("Protobuf record cut short in a varint") }
            let b = bytes[position]
            position += 1
            guard shift < 64 else { throw DataError("Protobuf varint longer than 10 bytes") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private mutating func fixed(_ count: Int) throws(DataError) -> UInt64 {
        guard bytes.count - position >= count else { throw DataError("Protobuf record cut short") }
        var v: UInt64 = 0
        for i in 0..<count { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += count
        return v
    }

    private mutating func length() throws(DataError) -> Int {
        let n = try varint()
        guard n <= UInt64(bytes.count - position) else {
            throw DataError("Protobuf length \(n) is beyond the \(bytes.count - position) bytes left")
        }
        return Int(n)
    }

    /// Confluent's message indexes: a zig-zag count (0 meaning [0]), then each index zig-zag encoded.
    mutating func messageIndexes() throws(DataError) -> [Int] {
        let count = Self.zigzag(try varint())
        if count == 0 { return [0] }
        guard count > 0, count <= 100 else { throw DataError("Invalid Protobuf message index count \(count)") }
        return try (0..<count).map { _ throws(DataError) in Int(Self.zigzag(try varint())) }
    }

    private static func zigzag(_ n: UInt64) -> Int64 { Int64(bitPattern: n >> 1) ^ -Int64(bitPattern: n & 1) }

    /// Reads the fields of a message up to `end` into a struct of `plan`'s schema.
    mutating func message(_ plan: ReadMessage, end: Int) throws(DataError) -> Value {
        var values = plan.defaults
        while position < end {
            let key = try varint()
            guard let wire = ProtoWireType(rawValue: key & 7) else { throw DataError("Invalid Protobuf wire type") }
            let number = Int(truncatingIfNeeded: key >> 3)
            guard let field = plan.fields[number] else {
                try skip(wire)
                continue
            }
            do {
                try read(field, wire, into: &values)
            } catch var located {
                located.fieldPath.insert(plan.schema.fields[field.slot].name, at: 0)
                throw located
            }
        }
        guard position == end else { throw DataError("Protobuf message overruns its length") }
        return .struct(Struct(schema: plan.schema, values: values))
    }

    private mutating func read(_ field: ReadField, _ wire: ProtoWireType, into values: inout [Value]) throws(DataError)
    {
        if let (union, member) = field.union {
            var members = [Value](repeating: .null, count: union.fields.count)
            members[member] = try single(field.kind, wire)
            values[field.slot] = .struct(Struct(schema: union, values: members))
            return
        }
        guard field.repeated else {
            values[field.slot] = try single(field.kind, wire)
            return
        }
        if case .map(let keyField, let valueField, let keySchema, let valueSchema) = field.kind {
            guard wire == .lengthDelimited else { throw DataError("A map entry must be length-delimited") }
            let end = try length() + position
            // Absent scalars read as their default, absent messages as null.
            var key = Value.null, value = Value.null
            if case .scalar = keyField.kind { key = Self.zero(keySchema.type) }
            if case .scalar = valueField.kind { value = Self.zero(valueSchema.type) }
            while position < end {
                let entryKey = try varint()
                guard let entryWire = ProtoWireType(rawValue: entryKey & 7) else {
                    throw DataError("Invalid Protobuf wire type")
                }
                switch entryKey >> 3 {
                case 1: key = try single(keyField.kind, entryWire)
                case 2: value = try single(valueField.kind, entryWire)
                default: try skip(entryWire)
                }
            }
            guard position == end else { throw DataError("Protobuf map entry overruns its length") }
            guard case .map(var entries) = values[field.slot] else { return }
            entries.append(MapEntry(key: key, value: value))
            values[field.slot] = .map(entries)
            return
        }
        guard case .array(var items) = values[field.slot] else { return }
        values[field.slot] = .null
        if wire == .lengthDelimited, let element = Self.packedWireType(field.kind) {
            // Packed: the values one after another.
            let end = try length() + position
            while position < end { items.append(try single(field.kind, element)) }
            guard position == end else { throw DataError("Packed Protobuf values overrun their length") }
        } else {
            items.append(try single(field.kind, wire))
        }
        values[field.slot] = .array(items)
    }

    /// The wire type of a kind's packed values; nil for kinds that are never packed.
    private static func packedWireType(_ kind: ReadField.Kind) -> ProtoWireType? {
        switch kind {
        case .scalar(let scalar, _) where scalar.isPacked: scalar.wireType
        case .enumeration: .varint
        default: nil
        }
    }

    /// proto3's default of a scalar type, as Connect values.
    static func zero(_ type: SchemaType) -> Value {
        switch type {
        case .int8: .int8(0)
        case .int16: .int16(0)
        case .int32: .int32(0)
        case .int64: .int64(0)
        case .float32: .float32(0)
        case .float64: .float64(0)
        case .boolean: .boolean(false)
        case .string: .string("")
        case .bytes: .bytes([])
        default: .null
        }
    }

    private mutating func single(_ kind: ReadField.Kind, _ wire: ProtoWireType) throws(DataError) -> Value {
        switch kind {
        case .scalar(let scalar, let type):
            return try scalarValue(scalar, type, wire)
        case .enumeration(let e, let asInt):
            guard wire == .varint else { throw DataError("An enum must be a varint") }
            let number = Int(Int32(truncatingIfNeeded: try varint()))
            if asInt { return .int32(Int32(number)) }
            guard let symbol = e.values.first(where: { $0.number == number }) else {
                throw DataError("\(number) is not a value of enum \(e.name)")
            }
            return .string(symbol.name)
        case .message(let plan):
            guard wire == .lengthDelimited else { throw DataError("A message must be length-delimited") }
            let end = try length() + position
            return try message(plan, end: end)
        case .wrapper(let scalar, let type):
            let fields = try integerFields(wire) { reader, number, wire throws(DataError) in
                guard number == 1 else {
                    try reader.skip(wire)
                    return .null
                }
                return try reader.scalarValue(scalar, type, wire)
            }
            return fields[1] ?? Self.zero(type)
        case .map:
            throw DataError("A map must be repeated")
        case .decimal:
            var unscaled: [UInt8] = []
            var scale: Int64 = 0
            guard wire == .lengthDelimited else { throw DataError("A Decimal must be length-delimited") }
            let end = try length() + position
            while position < end {
                let key = try varint()
                switch (key >> 3, key & 7) {
                case (1, 2):
                    let n = try length()
                    unscaled = Array(bytes[position..<(position + n)])
                    position += n
                case (3, 0): scale = Int64(Int32(truncatingIfNeeded: try varint()))
                default:
                    guard let w = ProtoWireType(rawValue: key & 7) else {
                        throw DataError("Invalid Protobuf wire type")
                    }
                    try skip(w)
                }
            }
            guard position == end else { throw DataError("Decimal overruns its length") }
            return .decimal(BigDecimal(unscaled: Self.minimal(unscaled), scale: Int32(truncatingIfNeeded: scale)))
        case .date:
            let f = try integerFields(wire) { reader, _, wire throws(DataError) in try reader.int(wire) }
            let (year, month, day) = (f[1].flatMap(\.int) ?? 0, f[2].flatMap(\.int) ?? 0, f[3].flatMap(\.int) ?? 0)
            guard (-5_000_000...5_000_000).contains(year), (1...12).contains(month), (1...31).contains(day) else {
                throw DataError("Invalid google.type.Date \(year)-\(month)-\(day)")
            }
            return .int32(Int32(truncatingIfNeeded: JavaCalendar.day(year: year, month: month, day: day)))
        case .time:
            let f = try integerFields(wire) { reader, _, wire throws(DataError) in try reader.int(wire) }
            let parts = (1...4).map { f[$0].flatMap(\.int) ?? 0 }
            guard (0...24).contains(parts[0]), (0...59).contains(parts[1]), (0...60).contains(parts[2]),
                (0..<1_000_000_000).contains(parts[3])
            else { throw DataError("Invalid google.type.TimeOfDay \(parts)") }
            let millis = ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + parts[3] / 1_000_000
            guard millis <= 86_400_000 else { throw DataError("Invalid google.type.TimeOfDay \(parts)") }
            return .int32(Int32(millis))
        case .timestamp:
            let f = try integerFields(wire) { reader, _, wire throws(DataError) in try reader.int(wire) }
            let seconds = Int64(f[1].flatMap(\.int) ?? 0), nanos = Int64(f[2].flatMap(\.int) ?? 0)
            let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
            let (total, overflowToo) = millis.addingReportingOverflow(nanos / 1_000_000)
            guard !overflow, !overflowToo else { throw DataError("google.protobuf.Timestamp out of range") }
            return .int64(total)
        }
    }

    /// A small message's fields by number (last one wins), each read by `read`.
    private mutating func integerFields(
        _ wire: ProtoWireType, _ read: (inout ProtoReader, Int, ProtoWireType) throws(DataError) -> Value
    ) throws(DataError) -> [Int: Value] {
        guard wire == .lengthDelimited else { throw DataError("A message must be length-delimited") }
        let end = try length() + position
        var fields: [Int: Value] = [:]
        while position < end {
            let key = try varint()
            guard let w = ProtoWireType(rawValue: key & 7) else { throw DataError("Invalid Protobuf wire type") }
            let number = Int(truncatingIfNeeded: key >> 3)
            fields[number] = try read(&self, number, w)
        }
        guard position == end else { throw DataError("Protobuf message overruns its length") }
        return fields
    }

    private mutating func int(_ wire: ProtoWireType) throws(DataError) -> Value {
        guard wire == .varint else {
            try skip(wire)
            return .null
        }
        return .int64(Int64(bitPattern: try varint()))
    }

    private mutating func scalarValue(
        _ scalar: ProtoScalar, _ type: SchemaType, _ wire: ProtoWireType
    ) throws(DataError) -> Value {
        guard wire == scalar.wireType else {
            throw DataError("Wire type \(wire.rawValue) does not hold a \(scalar.rawValue)")
        }
        let raw: Int64
        switch scalar {
        case .string, .bytes:
            let n = try length()
            let slice = bytes[position..<(position + n)]
            position += n
            if scalar == .bytes { return .bytes(Array(slice)) }
            guard let text = UTF8Text.string(validating: slice) else {
                throw DataError("Protobuf string is not valid UTF-8")
            }
            return .string(text)
        case .bool: return .boolean(try varint() != 0)
        case .float: return .float32(Float(bitPattern: UInt32(truncatingIfNeeded: try fixed(4))))
        case .double: return .float64(Double(bitPattern: try fixed(8)))
        case .int32, .int64, .uint64: raw = Int64(bitPattern: try varint())
        case .uint32: raw = Int64(UInt32(truncatingIfNeeded: try varint()))
        case .sint32, .sint64: raw = Self.zigzag(try varint())
        case .fixed32: raw = Int64(UInt32(truncatingIfNeeded: try fixed(4)))
        case .sfixed32: raw = Int64(Int32(truncatingIfNeeded: try fixed(4)))
        case .fixed64, .sfixed64: raw = Int64(bitPattern: try fixed(8))
        }
        switch type {
        case .int8: return .int8(Int8(truncatingIfNeeded: raw))
        case .int16: return .int16(Int16(truncatingIfNeeded: raw))
        case .int32: return .int32(Int32(truncatingIfNeeded: raw))
        default: return .int64(raw)
        }
    }

    private mutating func skip(_ wire: ProtoWireType) throws(DataError) {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed(8)
        case .fixed32: _ = try fixed(4)
        case .lengthDelimited: position += try length()
        case .startGroup, .endGroup: throw DataError("Protobuf groups are not supported")
        }
    }

    /// Two's complement in the fewest bytes, as Java's `BigInteger.toByteArray` gives it.
    private static func minimal(_ bytes: [UInt8]) -> [UInt8] {
        var start = 0
        while bytes.count - start > 1
            && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
                || (bytes[start] == 0xFF && bytes[start + 1] & 0x80 != 0))
        {
            start += 1
        }
        return bytes.isEmpty ? [0] : Array(bytes[start...])
    }
}

extension Value {
    /// An integer value as Int (nil for anything else).
    fileprivate var int: Int? {
        switch self {
        case .int64(let v): Int(truncatingIfNeeded: v)
        case .int32(let v): Int(v)
        default: nil
        }
    }
}
