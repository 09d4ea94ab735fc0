import MySQLSource
import PostgresSource
import TributaryCore

/// A connection to the sink's target database: runs one statement and returns its rows as text.
protocol SinkDatabase: AnyObject {
    @discardableResult
    func execute(_ statement: SinkStatement, purpose: String) throws -> [[String?]]
    /// Runs `COPY … FROM STDIN` with `data` as its input (only where the dialect stages rows, PostgreSQL).
    func copy(_ sql: String, data: [UInt8], purpose: String) throws
    func close()
}

/// The target for `jdbc:postgresql://` over libpq; values are `$n` parameters.
final class PostgresSinkDatabase: SinkDatabase {
    private let connection: PostgresConnection

    init(_ url: JdbcURL, user: String, password: String?) throws {
        connection = try PostgresConnection(url.postgresSettings(user: user, password: password), replication: false)
    }

    func execute(_ statement: SinkStatement, purpose: String) throws -> [[String?]] {
        try connection.query(statement.sql, statement.parameters, purpose: purpose)
    }

    func copy(_ sql: String, data: [UInt8], purpose: String) throws {
        try connection.copyIn(sql, data: data, purpose: purpose)
    }

    func close() { connection.close() }
}

/// The target for `jdbc:mysql://` and `jdbc:mariadb://` over MariaDB Connector/C; values are literals.
final class MySQLSinkDatabase: SinkDatabase {
    private let connection: MySQLConnection

    init(_ url: JdbcURL, user: String, password: String?) throws {
        connection = try MySQLConnection(url.mysqlSettings(user: user, password: password))
    }

    func execute(_ statement: SinkStatement, purpose: String) throws -> [[String?]] {
        precondition(statement.parameters.isEmpty, "MySQL statements carry their values as literals")
        return try connection.query(statement.sql)
    }

    func copy(_ sql: String, data: [UInt8], purpose: String) throws {
        preconditionFailure("MySQL has no COPY; its dialect does not stage rows")
    }

    func close() { connection.close() }
}

extension JdbcURL {
    /// libpq's settings for a `jdbc:postgresql://` URL (`sslmode` and pgJDBC's `ApplicationName` from its
    /// parameters).
    public func postgresSettings(user: String, password: String?) -> PostgresConnectionSettings {
        PostgresConnectionSettings(
            host: host, port: port, user: user, password: password, database: database,
            sslMode: parameters["sslmode"].flatMap(SSLMode.init(rawValue:)) ?? .prefer,
            applicationName: parameters["ApplicationName"] ?? "tributary")
    }

    /// MariaDB Connector/C's settings for a `jdbc:mysql://` or `jdbc:mariadb://` URL.
    public func mysqlSettings(user: String, password: String?) -> MySQLConnection.Settings {
        MySQLConnection.Settings(
            host: host, port: port, user: user, password: password, database: database.isEmpty ? nil : database)
    }
}
