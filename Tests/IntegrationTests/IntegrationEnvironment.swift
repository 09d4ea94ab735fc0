import Converters
import Foundation
import KafkaClient
import Logging
import Monitoring
import MySQLSource
import Runtime
import TributaryCore
import XCTest

@testable import PostgresSource

/// Where the servers of `scripts/services` listen; the same environment variables override both.
enum IntegrationEnvironment {
    static let environment = ProcessInfo.processInfo.environment
    static let pgPort = Int(environment["TRIBUTARY_PG_PORT"] ?? "") ?? 15432
    static let kafkaPort = Int(environment["TRIBUTARY_KAFKA_PORT"] ?? "") ?? 19092
    static let bootstrapServers = "127.0.0.1:\(kafkaPort)"
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The built `tributary` executable, beside the test bundle.
    static var executable: URL {
        var dir = Bundle.main.bundleURL
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("tributary").path) && dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("tributary")
    }

    static var postgresSettings: PostgresConnectionSettings {
        PostgresConnectionSettings(
            host: "127.0.0.1", port: pgPort, user: "tributary", password: "tributary", database: "tributary",
            sslMode: .disable,
            connectTimeoutSeconds: 10)
    }

    /// A fresh name for this run, so tests never share slots, topics or tables.
    static func uniqueName(_ base: String) -> String {
        "\(base)_\(UInt32.random(in: 0..<UInt32.max))"
    }

    /// A plain SQL connection to the test database; fails the test with the fix if the server is not running.
    static func sql() throws -> PostgresConnection {
        do {
            return try PostgresConnection(postgresSettings, replication: false)
        } catch {
            throw IntegrationFailure(
                "PostgreSQL is not reachable (\(error)); start the servers with scripts/services start")
        }
    }

    /// Connector properties as a Debezium user writes them.
    static func connectorConfig(
        name: String, prefix: String, slot: String, tables: String, extra: [String: String] = [:]
    ) -> Config {
        var values = [
            "name": name, "connector.class": PostgresConnectorConfig.className,
            "database.hostname": "127.0.0.1", "database.port": String(pgPort), "database.user": "tributary",
            "database.password": "tributary", "database.dbname": "tributary", "topic.prefix": prefix,
            "plugin.name": "pgoutput",
            "slot.name": slot, "publication.name": slot, "publication.autocreate.mode": "filtered",
            "table.include.list": tables,
            "snapshot.mode": "no_data",
        ]
        values.merge(extra) { $1 }
        return Config(values)
    }

    /// Waits until `slot` exists and a walsender is streaming from it; gives up early once `alive` says the
    /// process meant to stream has gone.
    static func waitUntilStreaming(
        slot: String, timeout: Duration = .seconds(180), alive: () -> Bool = { true }
    ) throws {
        let db = try sql()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard alive() else { return XCTFail("the process meant to stream from slot \(slot) exited") }
            let rows = try db.query(
                "SELECT active FROM pg_replication_slots WHERE slot_name = $1", [slot], purpose: "poll slot")
            if rows.first?.first == "t" { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTFail("slot \(slot) did not become active within \(timeout)")
    }

    /// Waits until no process streams from `slot` any more.
    static func waitUntilInactive(slot: String, timeout: Duration = .seconds(30)) throws {
        let db = try sql()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let rows = try db.query(
                "SELECT active FROM pg_replication_slots WHERE slot_name = $1", [slot], purpose: "poll slot")
            if rows.first?.first != "t" { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("slot \(slot) stayed active for \(timeout)")
    }

    static func confirmedFlushLSN(slot: String) throws -> LSN? {
        let rows = try sql().query(
            "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1", [slot], purpose: "read slot")
        guard let text = rows.first?.first ?? nil else { return nil }
        return LSN(text)
    }

    /// Creates `public.<name>` with `columns` and returns its qualified name; the caller drops it.
    @discardableResult
    static func createTable(_ name: String, _ columns: String) throws -> String {
        let qualified = "public.\"\(name)\""
        try sql().query("CREATE TABLE \(qualified) (\(columns))", purpose: "create table")
        return qualified
    }

    /// The server's current WAL position.
    static func currentWAL() throws -> LSN {
        let rows = try sql().query("SELECT pg_current_wal_lsn()", purpose: "read the WAL position")
        return try XCTUnwrap(LSN(try XCTUnwrap(rows.first?.first ?? nil)))
    }

    /// The connectors the tests run, registered as the executable registers them.
    static var plugins: ConnectorPlugins {
        var plugins = ConnectorPlugins()
        plugins.register(PostgresConnector(), className: PostgresConnectorConfig.className)
        plugins.register(MySQLConnector(.mariadb), className: MySQLConnectorConfig.Flavor.mariadb.className)
        plugins.register(MySQLConnector(.mysql), className: MySQLConnectorConfig.Flavor.mysql.className)
        return plugins
    }

    static func dropSlot(_ slot: String) {
        _ = try? sql().query(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active",
            [slot], purpose: "drop slot")
        _ = try? sql().query("DROP PUBLICATION IF EXISTS \"\(slot)\"", purpose: "drop publication")
    }

    /// Every record of `topics` from the beginning, waiting for at least `count`.
    static func consume(_ topics: [String], count: Int, timeout: Int = 60_000) throws -> [ConsumedMessage] {
        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": bootstrapServers])
        return try consumer.readAll(
            topics: topics, minimum: count, idleMilliseconds: 1500, timeoutMilliseconds: timeout)
    }

    /// The values in the order they first appear: what an at-least-once stream must equal once replays are
    /// set aside.
    static func firstOccurrences(_ values: [Int]) -> [Int] {
        var seen = Set<Int>()
        return values.filter { seen.insert($0).inserted }
    }

    static func json(_ bytes: [UInt8]?) throws -> Any? {
        guard let bytes else { return nil }
        return try JSONSerialization.jsonObject(with: Data(bytes))
    }
}

/// A source connector running in this process on its own thread, as the standalone worker runs it (with
/// restarts after retriable errors).
final class RunningConnector: @unchecked Sendable {
    let runner: SourceTaskRunner
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var failure: Error?

    init(
        _ config: Config, offsetFile: String, flushIntervalMilliseconds: Int = 200, schemasEnabled: Bool = true,
        bootstrapServers: String = IntegrationEnvironment.bootstrapServers, worker extra: [String: String] = [:],
        makeProducer: @escaping RecordProducerFactory = KafkaProducer.factory, metrics: WorkerMetrics? = nil
    ) throws {
        var workerValues = [
            "bootstrap.servers": bootstrapServers, "offset.storage.file.filename": offsetFile,
            "offset.flush.interval.ms": String(flushIntervalMilliseconds),
            "key.converter.schemas.enable": String(schemasEnabled),
            "value.converter.schemas.enable": String(schemasEnabled),
        ]
        workerValues.merge(extra) { $1 }
        let worker = try WorkerConfig(Config(workerValues), standalone: true)
        var connector = config
        if connector["topic.creation.default.partitions"] == nil {
            connector["topic.creation.default.partitions"] = "1"
        }
        runner = try SourceTaskRunner(
            connector: connector, worker: worker, offsets: try FileOffsetStore(path: offsetFile),
            plugins: IntegrationEnvironment.plugins, makeProducer: makeProducer, metricsFactory: metrics?.factory)
        DetachedThread.start { [self] in
            do { try runner.run() } catch { lock.withLock { failure = error } }
            finished.signal()
        }
    }

    /// Stops gracefully and rethrows the task's failure, if any.
    func stop(within seconds: Double = 60) throws {
        runner.stop()
        guard finished.wait(timeout: .now() + seconds) == .success else {
            throw IntegrationFailure("connector did not stop within \(seconds) s")
        }
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// Waits until the connector ended by itself (a failure that retries did not cure); returns its error.
    func waitForFailure(seconds: Double) -> Error? {
        guard finished.wait(timeout: .now() + seconds) == .success else { return nil }
        return lock.withLock { failure }
    }
}

/// A failure to report, thrown from helpers.
struct IntegrationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
