import TributaryCore

/// Avro's binary encoding of Connect values, driven by the Connect schema whose Avro form `AvroData` derives:
/// the two agree on every union's branch order, so no Avro schema is consulted per record.
///
/// Ints and longs are zig-zag varints, floats and doubles little-endian IEEE 754, strings and bytes a length
/// and the bytes, arrays and maps one block of items then a zero count, a union its branch index then the value.
struct AvroEncoder {
    var bytes: [UInt8]
    let ignoreDefaultForNullables: Bool

    init(bytes: [UInt8], ignoreDefaultForNullables: Bool) {
        self.bytes = bytes
        self.ignoreDefaultForNullables = ignoreDefaultForNullables
    }

    @inline(__always) mutating func long(_ v: Int64) {
        var n = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        while n >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        bytes.append(UInt8(n))
    }

    @inline(__always) mutating func length(_ count: Int) { long(Int64(count)) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            length(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func write(_ schema: Schema, _ value: Value) throws(DataError) {
        if schema.isOptional {
            // AvroData's union order: null first, unless a non-struct schema has a default.
            let nullFirst = schema.type == .struct || schema.defaultValue?.isNull ?? true
            if value.isNull {
                length(nullFirst ? 0 : 1)
                return
            }
            length(nullFirst ? 1 : 0)
        }
        switch value {
        case .null:
            throw DataError("Found null value for non-optional schema\(schema.name.map { " \($0)" } ?? "")")
        case .boolean(let v):
            try expect(schema, .boolean, value)
            bytes.append(v ? 1 : 0)
        case .int8(let v):
            try expect(schema, .int8, value)
            long(Int64(v))
        case .int16(let v):
            try expect(schema, .int16, value)
            long(Int64(v))
        case .int32(let v):
            try expect(schema, .int32, value)
            long(Int64(v))
        case .int64(let v):
            try expect(schema, .int64, value)
            long(v)
        case .float32(let v):
            try expect(schema, .float32, value)
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        case .float64(let v):
            try expect(schema, .float64, value)
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        case .string(let v):
            try expect(schema, .string, value)
            string(v)
        case .bytes(let v):
            try expect(schema, .bytes, value)
            length(v.count)
            bytes.append(contentsOf: v)
        case .decimal(let d):
            try expect(schema, .bytes, value)
            length(d.unscaled.count)
            bytes.append(contentsOf: d.unscaled)
        case .array(let items):
            try expect(schema, .array, value)
            let element = schema.valueSchema!
            if !items.isEmpty {
                length(items.count)
                for item in items { try write(element, item) }
            }
            bytes.append(0)
        case .map(let entries):
            try expect(schema, .map, value)
            let key = schema.keySchema!, valueSchema = schema.valueSchema!
            if !entries.isEmpty {
                length(entries.count)
                // String keys: an Avro map; any other key: an array of key/value records, written the same way.
                for entry in entries {
                    try write(key, entry.key)
                    try write(valueSchema, entry.value)
                }
            }
            bytes.append(0)
        case .struct(let s):
            try expect(schema, .struct, value)
            let fields = s.schema.fields
            for i in 0..<fields.count {
                // Connect's Struct.get: a null field reads as its default.
                try write(fields[i].schema, s.value(at: i, replacingNullWithDefault: !ignoreDefaultForNullables))
            }
        }
    }

    @inline(__always) private func expect(_ schema: Schema, _ type: SchemaType, _ value: Value) throws(DataError) {
        guard schema.type == type else {
            throw DataError("Invalid type for \(schema.type.rawValue.uppercased()): \(value)")
        }
    }
}
