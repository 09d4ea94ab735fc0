import MySQLDDL
import TributaryCore

/// The columns a table is read by in key order, in chunks (its primary key, or an incremental snapshot's
/// `surrogate-key`): how a row's key is written as text (for offsets) and how SQL selects the rows after a key or
/// up to one.
struct MySQLChunkKey: Equatable {
    /// The columns' names, their places in the table's rows, and whether each compares as bytes (binary types:
    /// their text is hexadecimal, their literals `X'…'`).
    let columns: [String]
    let indexes: [Int]
    let binary: [Bool]

    private static let binaryTypes: Set<String> = [
        "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB", "BIT",
    ]

    /// Nil when `names` is empty or one is not a column of `table`.
    init?(_ table: MySQLTable, columns names: [String]) {
        let indexes = names.compactMap { name in table.columns.firstIndex { $0.name.lowercased() == name.lowercased() }
        }
        guard !names.isEmpty, indexes.count == names.count else { return nil }
        self.indexes = indexes
        columns = indexes.map { table.columns[$0].name }
        binary = indexes.map { Self.binaryTypes.contains(table.columns[$0].typeName) }
    }

    /// The key of a row read as text (every column of the table, in order).
    func text(ofRow row: [ArraySlice<UInt8>?]) -> [String?] {
        zip(indexes, binary).map { Self.text(row[$0], binary: $1) }
    }

    /// The key of a row holding only the key's columns.
    func text(ofKeyRow row: [ArraySlice<UInt8>?]) -> [String?] {
        binary.enumerated().map { Self.text(row[$0], binary: $1) }
    }

    /// A column's text: the value as the server writes it, hexadecimal for binary columns.
    private static func text(_ bytes: ArraySlice<UInt8>?, binary: Bool) -> String? {
        guard let bytes else { return nil }
        guard binary else { return String(decoding: bytes, as: UTF8.self) }
        var hex: [UInt8] = []
        Hex.append(bytes, to: &hex)
        return String(decoding: hex, as: UTF8.self)
    }

    /// `ORDER BY` the key (`descending` for the largest first).
    func orderBy(descending: Bool = false) -> String {
        " ORDER BY " + columns.map { MySQLConnection.quote($0) + (descending ? " DESC" : "") }.joined(separator: ", ")
    }

    /// Rows whose key comes after `key` (`after`), or is at most `key`, spelled out column by column, which any
    /// version's optimizer reads as a range of the key's index.
    func condition(_ key: [String?], after: Bool) -> String {
        let quoted = columns.map(MySQLConnection.quote)
        let literals = zip(key, binary).map { value, binary in
            guard let value else { return "NULL" }
            return binary ? "X'" + value + "'" : "'" + MySQLConnectorTask.escape(value) + "'"
        }
        var alternatives: [String] = []
        for i in quoted.indices {
            let equal = (0..<i).map { quoted[$0] + " = " + literals[$0] }
            alternatives.append(
                (equal + [quoted[i] + (after ? " > " : " < ") + literals[i]]).joined(separator: " AND "))
        }
        if !after {
            alternatives.append(quoted.indices.map { quoted[$0] + " = " + literals[$0] }.joined(separator: " AND "))
        }
        return "((" + alternatives.joined(separator: ") OR (") + "))"
    }
}
