/// How many rows of one table go into PostgreSQL at once: `COPY` into a temporary staging table of the target's
/// column types, then one `INSERT … SELECT` from it (with the upsert clause). The server parses one short statement
/// and the rows in COPY's text format, instead of a statement with a parameter per value.
///
/// A staging table lives for the session (`CREATE TEMP TABLE`), one per table and column list, and is emptied by
/// the statement that moves its rows (and at each commit), so runs of the same table in one transaction reuse it.
struct PostgresStaging: Sendable {
    let dialect: PostgresSinkDialect

    /// Runs of at least this many rows are staged; shorter ones are cheaper as one `INSERT … VALUES`.
    static let minimumRows = 64

    /// Creates the staging table `stage` with the types of `columns` of `table`, unless it exists.
    func create(_ stage: String, of table: String, columns: [String]) -> SinkStatement {
        SinkStatement(
            "CREATE TEMP TABLE IF NOT EXISTS " + name(stage) + " ON COMMIT DELETE ROWS AS SELECT "
                + list(columns) + " FROM " + dialect.table(table) + " WITH NO DATA")
    }

    /// `COPY stage (columns) FROM STDIN`, in the text format `append` writes.
    func copy(into stage: String, columns: [String]) -> String {
        "COPY " + name(stage) + " (" + list(columns) + ") FROM STDIN"
    }

    /// Moves the staged rows into `table` (deleting them from the stage), updating rows whose key exists when
    /// `upsertKey` is given.
    func insert(from stage: String, into table: String, columns: [String], upsertKey: [String]?) -> SinkStatement {
        let names = list(columns)
        var sql = "WITH staged AS (DELETE FROM " + name(stage) + " RETURNING " + names + ") INSERT INTO "
        sql += dialect.table(table) + " (" + names + ") SELECT " + names + " FROM staged"
        if let key = upsertKey {
            sql += dialect.upsertClause(key: key, columns: Array(columns.dropFirst(key.count)))
        }
        return SinkStatement(sql)
    }

    /// The stage's name in the session's own schema, so that no table of the target's shadows it or is shadowed.
    private func name(_ stage: String) -> String { "pg_temp." + dialect.identifier(stage) }

    private func list(_ names: [String]) -> String { names.map(dialect.identifier).joined(separator: ",") }

    /// Appends one row to COPY's text format: values separated by tabs, `\N` for NULL, and the backslash, tab,
    /// newline and carriage return escaped, so that no value can end its field or row.
    static func append(_ row: [String?], to out: inout [UInt8]) {
        for (i, value) in row.enumerated() {
            if i > 0 { out.append(UInt8(ascii: "\t")) }
            guard let value else {
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "N"))
                continue
            }
            for byte in value.utf8 {
                let escaped: UInt8? =
                    switch byte {
                    case UInt8(ascii: "\\"): UInt8(ascii: "\\")
                    case UInt8(ascii: "\t"): UInt8(ascii: "t")
                    case UInt8(ascii: "\n"): UInt8(ascii: "n")
                    case UInt8(ascii: "\r"): UInt8(ascii: "r")
                    default: nil
                    }
                if let escaped {
                    out.append(UInt8(ascii: "\\"))
                    out.append(escaped)
                } else {
                    out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\n"))
    }
}
