import MySQLSource
import PostgresSource
import TributaryCore

/// A connection to the sink's target database: runs one statement and returns its rows as text.
protocol SinkDatabase: AnyObject {
    @discardableResult
    func execute(_ statement: SinkStatement, purpose: String) throws -> [[String?]]
    func close()
}

/// The target for `jdbc:postgresql://` over libpq; values are `$n` parameters.
final class PostgresSinkDatabase: SinkDatabase {
    private let connection: PostgresConnection

    init(_ url: JdbcURL, user: String, password: String?) throws {
        let sslMode = url.parameters["sslmode"].flatMap(SSLMode.init(rawValue:)) ?? .prefer
        connection = try PostgresConnection(
            PostgresConnectionSettings(
                host: url.host, port: url.port, user: user, password: password, database: url.database,
                sslMode: sslMode),
            replication: false)
    }

    func execute(_ statement: SinkStatement, purpose: String) throws -> [[String?]] {
        try connection.query(statement.sql, statement.parameters, purpose: purpose)
    }

    func close() { connection.close() }
}

/// The target for `jdbc:mysql://` and `jdbc:mariadb://` over MariaDB Connector/C; values are literals.
final class MySQLSinkDatabase: SinkDatabase {
    private let connection: MySQLConnection

    init(_ url: JdbcURL, user: String, password: String?) throws {
        connection = try MySQLConnection(
            MySQLConnection.Settings(
                host: url.host, port: url.port, user: user, password: password,
                database: url.database.isEmpty ? nil : url.database))
    }

    func execute(_ statement: SinkStatement, purpose: String) throws -> [[String?]] {
        precondition(statement.parameters.isEmpty, "MySQL statements carry their values as literals")
        return try connection.query(statement.sql)
    }

    func close() { connection.close() }
}
