import TributaryCore

/// Protobuf's binary encoding of Connect values, driven by the messages `ProtobufData` derived from their schema:
/// the same bytes protobuf-java writes for the `DynamicMessage` Confluent's converter builds.
///
/// Fields go in tag order (Connect's). As proto3 does for fields without presence, a scalar equal to its type's
/// default (0, false, "", no bytes) is not written; message fields, wrappers and `optional` fields are written
/// whenever the value is not null. Repeated numbers are packed. Nested messages are written in place, their
/// length put before them once known.
struct ProtobufEncoder {
    var bytes: [UInt8]
    let ignoreDefaultForNullables: Bool

    init(bytes: [UInt8], ignoreDefaultForNullables: Bool) {
        self.bytes = bytes
        self.ignoreDefaultForNullables = ignoreDefaultForNullables
    }

    @inline(__always) mutating func varint(_ v: UInt64) {
        var n = v
        while n >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        bytes.append(UInt8(n))
    }

    @inline(__always) private mutating func key(_ tag: Int, _ wire: ProtoWireType) {
        varint(UInt64(tag) << 3 | wire.rawValue)
    }

    /// Starts a length-delimited body: one byte is kept for its length, widened by `endLength` when needed.
    @inline(__always) private mutating func beginLength() -> Int {
        bytes.append(0)
        return bytes.count
    }

    private mutating func endLength(_ start: Int) {
        let length = bytes.count - start
        if length < 0x80 {
            bytes[start - 1] = UInt8(length)
            return
        }
        var prefix: [UInt8] = []
        var n = UInt64(length)
        while n >= 0x80 {
            prefix.append(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        prefix.append(UInt8(n))
        bytes.replaceSubrange((start - 1)..<start, with: prefix)
    }

    /// The fields of `message` from the values of `value`.
    mutating func write(_ message: ProtoMessage, _ value: Struct) throws(DataError) {
        guard value.values.count == message.fields.count else {
            throw DataError("The struct does not match the schema of message \(message.name)")
        }
        for (index, field) in message.fields.enumerated() {
            let v = value.value(at: index, replacingNullWithDefault: !ignoreDefaultForNullables)
            if v.isNull { continue }
            do {
                try write(field, v)
            } catch var located {
                located.fieldPath.insert(field.name, at: 0)
                throw located
            }
        }
    }

    private mutating func write(_ field: ProtoField, _ value: Value) throws(DataError) {
        guard field.label == .repeated else {
            try single(field, value, presence: field.label == .optional)
            return
        }
        switch (field.kind, value) {
        case (.mapEntry(let entry), .map(let entries)):
            for e in entries {
                key(field.tag, .lengthDelimited)
                let start = beginLength()
                if !e.key.isNull { try single(entry.fields[0], e.key, presence: false) }
                if !e.value.isNull { try single(entry.fields[1], e.value, presence: false) }
                endLength(start)
            }
        case (.scalar(let scalar), .array(let items)) where scalar.isPacked:
            if items.isEmpty { return }
            key(field.tag, .lengthDelimited)
            let start = beginLength()
            for item in items { try payload(scalar, item) }
            endLength(start)
        case (_, .array(let items)):
            for item in items {
                guard !item.isNull else { throw DataError("Protobuf cannot hold a null array element") }
                try single(field, item, presence: true)
            }
        default:
            throw DataError("Invalid value for a repeated field: \(value)")
        }
    }

    private mutating func single(_ field: ProtoField, _ value: Value, presence: Bool) throws(DataError) {
        switch field.kind {
        case .scalar(let scalar):
            if !presence && Self.isDefault(value) { return }
            key(field.tag, scalar.wireType)
            try payload(scalar, value)
        case .wrapper(let scalar):
            key(field.tag, .lengthDelimited)
            let start = beginLength()
            if !Self.isDefault(value) {
                key(1, scalar.wireType)
                try payload(scalar, value)
            }
            endLength(start)
        case .message(let message), .mapEntry(let message):
            guard case .struct(let s) = value else { throw DataError("Invalid value for a message: \(value)") }
            key(field.tag, .lengthDelimited)
            let start = beginLength()
            try write(message, s)
            endLength(start)
        case .decimal:
            guard case .decimal(let d) = value else { throw DataError("Invalid value for a Decimal: \(value)") }
            // confluent.type.Decimal: value = 1 (the unscaled two's complement), precision = 2, scale = 3.
            key(field.tag, .lengthDelimited)
            let start = beginLength()
            if !d.unscaled.isEmpty {
                key(1, .lengthDelimited)
                varint(UInt64(d.unscaled.count))
                bytes.append(contentsOf: d.unscaled)
            }
            key(2, .varint)
            varint(UInt64(d.unscaledDigits.count))
            if d.scale != 0 {
                key(3, .varint)
                varint(UInt64(bitPattern: Int64(d.scale)))
            }
            endLength(start)
        case .date:
            guard case .int32(let days) = value else { throw DataError("Invalid value for a Date: \(value)") }
            // google.type.Date: year = 1, month = 2, day = 3, as java.util.Calendar gives them (era years).
            let (year, month, day) = JavaCalendar.date(ofDay: Int(days))
            try message(field.tag, [(1, year <= 0 ? 1 - year : year), (2, month), (3, day)])
        case .time:
            guard case .int32(let millis) = value, millis >= 0, millis <= 86_400_000 else {
                throw DataError(
                    "Time values must use number of millis greater than 0 and less than 86400000: \(value)")
            }
            // google.type.TimeOfDay: hours = 1, minutes = 2, seconds = 3, nanos = 4.
            let ms = Int(millis) % 86_400_000
            try message(
                field.tag,
                [(1, ms / 3_600_000), (2, ms / 60_000 % 60), (3, ms / 1000 % 60), (4, ms % 1000 * 1_000_000)])
        case .timestamp:
            guard case .int64(let millis) = value else {
                throw DataError("Invalid value for a Timestamp: \(value)")
            }
            // google.protobuf.Timestamp: seconds = 1, nanos = 2 (never negative).
            let seconds = millis >= 0 ? millis / 1000 : -((-millis + 999) / 1000)
            try message(field.tag, [(1, Int(seconds)), (2, Int(millis - seconds * 1000) * 1_000_000)])
        }
    }

    /// A message of integer fields (Date, TimeOfDay, Timestamp), zeros left out.
    private mutating func message(_ tag: Int, _ fields: [(tag: Int, value: Int)]) throws(DataError) {
        key(tag, .lengthDelimited)
        let start = beginLength()
        for field in fields where field.value != 0 {
            key(field.tag, .varint)
            varint(UInt64(bitPattern: Int64(field.value)))
        }
        endLength(start)
    }

    /// proto3's default of each type: not written for fields without presence.
    private static func isDefault(_ value: Value) -> Bool {
        switch value {
        case .boolean(let v): !v
        case .int8(let v): v == 0
        case .int16(let v): v == 0
        case .int32(let v): v == 0
        case .int64(let v): v == 0
        // Java's Float.equals and Double.equals: -0.0 is not the default.
        case .float32(let v): v.bitPattern == 0
        case .float64(let v): v.bitPattern == 0
        case .string(let v): v.isEmpty
        case .bytes(let v): v.isEmpty
        default: false
        }
    }

    /// The value of one scalar, without its key (ints sign-extended to 64 bits, as protobuf writes int32).
    private mutating func payload(_ scalar: ProtoScalar, _ value: Value) throws(DataError) {
        switch (scalar, value) {
        case (.int32, .int8(let v)): varint(UInt64(bitPattern: Int64(v)))
        case (.int32, .int16(let v)): varint(UInt64(bitPattern: Int64(v)))
        case (.int32, .int32(let v)): varint(UInt64(bitPattern: Int64(v)))
        case (.int64, .int64(let v)): varint(UInt64(bitPattern: v))
        case (.bool, .boolean(let v)): bytes.append(v ? 1 : 0)
        case (.float, .float32(let v)): withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        case (.double, .float64(let v)):
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        case (.string, .string(let v)):
            var s = v
            s.withUTF8 { utf8 in
                varint(UInt64(utf8.count))
                bytes.append(contentsOf: utf8)
            }
        case (.bytes, .bytes(let v)):
            varint(UInt64(v.count))
            bytes.append(contentsOf: v)
        case (_, .null):
            throw DataError("Protobuf cannot hold a null array element")
        default:
            throw DataError("Invalid type for \(scalar.rawValue): \(value)")
        }
    }
}
