import TributaryCore

/// Whole JSON documents, for the places outside the converters that check or compare JSON text: `tributary tail`
/// printing a value as JSON only when it is JSON, and `tributary verify` comparing json columns.
///
/// Built on the converters' strict `JSONReader`, so the program needs no JSON library of its own beside it.
public enum JSONDocument {
    /// Whether `bytes` hold exactly one JSON value of any kind, with nothing but whitespace around it.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            do {
                try reader.skipValue()
                try reader.expectEnd()
                return true
            } catch {
                return false
            }
        }
    }

    /// `text` written one way: object members sorted by key, no whitespace, strings escaped as the JSON converter
    /// escapes them, and numbers by their value (`1`, `1.0` and `1e0` alike, `0.5` and `5E-1` alike), so that a
    /// document stored by PostgreSQL and by MySQL compares equal. Nil when `text` is not one JSON value.
    public static func canonical(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> String? in
            var reader = JSONReader(buffer)
            var writer = JSONWriter(capacity: bytes.count)
            do {
                try write(&reader, into: &writer, depth: 0)
                try reader.expectEnd()
            } catch {
                return nil
            }
            return String(decoding: writer.bytes, as: UTF8.self)
        }
    }

    private static func write(_ reader: inout JSONReader, into writer: inout JSONWriter, depth: Int) throws(DataError) {
        guard depth < JSONReader.maximumDepth else {
            throw reader.error("nesting deeper than \(JSONReader.maximumDepth)")
        }
        switch try reader.peekKind() {
        case .object:
            try reader.beginObject()
            var members: [(key: String, value: [UInt8])] = []
            var first = true
            while let key = try reader.nextKey(first: &first) {
                var value = JSONWriter()
                try write(&reader, into: &value, depth: depth + 1)
                members.append((key, value.bytes))
            }
            writer.byte(UInt8(ascii: "{"))
            for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { writer.byte(UInt8(ascii: ",")) }
                writer.string(member.key)
                writer.byte(UInt8(ascii: ":"))
                writer.raw(member.value)
            }
            writer.byte(UInt8(ascii: "}"))
        case .array:
            try reader.beginArray()
            writer.byte(UInt8(ascii: "["))
            var first = true
            var count = 0
            while try reader.nextElement(first: &first) {
                if count > 0 { writer.byte(UInt8(ascii: ",")) }
                count += 1
                try write(&reader, into: &writer, depth: depth + 1)
            }
            writer.byte(UInt8(ascii: "]"))
        case .string: writer.string(try reader.readString())
        case .number:
            let (range, integral) = try reader.readNumber()
            if integral, let value = reader.int64(range) {
                writer.int(value)
            } else if let value = Double(reader.text(range)), value.isFinite {
                // Integral values within a double's exact range are written as integers, whatever their spelling.
                if value.rounded() == value, value.magnitude < 9_007_199_254_740_992 {
                    writer.int(Int64(value))
                } else {
                    writer.double(value)
                }
            } else {
                writer.raw(Array(reader.text(range).utf8))
            }
        case .boolean, .null:
            switch try reader.readLiteral() {
            case .some(let value): writer.bool(value)
            case .none: writer.null()
            }
        }
    }
}
