import DebeziumEvents
import TributaryCore

/// The schemas of the MySQL/MariaDB connectors' records that do not depend on a table.
enum MySQLSchemas {
    /// The `source` block: Debezium's common fields, then `table`, `server_id`, `gtid`, `file`, `pos`, `row`,
    /// `thread` and `query`, named `io.debezium.connector.mysql.Source` or `….mariadb.Source`.
    static func source(_ flavor: MySQLConnectorConfig.Flavor) -> SourceBlockSchema {
        SourceBlockSchema(
            name: "io.debezium.connector.\(flavor.rawValue).Source",
            connectorFields: [
                ("table", .optionalString), ("server_id", .int64), ("gtid", .optionalString), ("file", .string),
                ("pos", .int64), ("row", .int32), ("thread", .optionalInt64), ("query", .optionalString),
            ])
    }

    /// Positions of the connector's own source fields, resolved once.
    struct SourceFields {
        let layout: SourceBlockSchema
        let table: Int
        let serverID: Int
        let gtid: Int
        let file: Int
        let pos: Int
        let row: Int
        let thread: Int
        let query: Int

        init(_ flavor: MySQLConnectorConfig.Flavor) {
            layout = MySQLSchemas.source(flavor)
            table = layout.position(of: "table")
            serverID = layout.position(of: "server_id")
            gtid = layout.position(of: "gtid")
            file = layout.position(of: "file")
            pos = layout.position(of: "pos")
            row = layout.position(of: "row")
            thread = layout.position(of: "thread")
            query = layout.position(of: "query")
        }
    }
}
