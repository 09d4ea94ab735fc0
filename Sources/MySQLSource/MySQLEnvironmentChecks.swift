import TributaryCore

/// What `tributary validate` checks in MySQL or MariaDB before a connector runs: the binlog settings, the
/// privileges, the replica id and the captured tables, each with the fix when it is not right. Reads only.
extension MySQLConnector {
    public func checkEnvironment(_ config: Config) -> [EnvironmentCheck] {
        guard let settings = try? MySQLConnectorConfig(config, flavor: flavor) else { return [] }
        return MySQLEnvironmentChecks(settings).run()
    }
}

final class MySQLEnvironmentChecks {
    let config: MySQLConnectorConfig
    private let checks = EnvironmentChecks()

    init(_ config: MySQLConnectorConfig) {
        self.config = config
    }

    func run() -> [EnvironmentCheck] {
        let db: MySQLConnection
        do {
            db = try MySQLConnection(config.connection)
        } catch {
            return [
                EnvironmentCheck(
                    .failed, "connection", "\(error)",
                    fix: "check database.hostname, database.port, database.user and database.password, and that the "
                        + "user may connect from this host")
            ]
        }
        defer { db.close() }
        let version = (try? db.query("SELECT VERSION()").first?.first ?? nil) ?? "?"
        checks.add(.passed, "connection", "connected to \(version) at \(config.connection.address)")
        checks.section("binlog settings") { try binlogSettings(db) }
        checks.section("privileges") { try privileges(db) }
        checks.section("database.server.id") { try serverID(db) }
        checks.section("captured tables") { try tables(db) }
        return checks.all
    }

    private func binlogSettings(_ db: MySQLConnection) throws {
        for requirement in try db.binlogRequirements() {
            checks.add(
                requirement.met ? .passed : .failed, requirement.setting, requirement.found,
                fix: requirement.met ? nil : requirement.fix)
        }
        let retention =
            config.flavor == .mariadb
            ? "SELECT @@expire_logs_days * 86400" : "SELECT @@binlog_expire_logs_seconds"
        if let seconds = (try? db.query(retention).first?.first ?? nil).flatMap({ Double($0) }), seconds > 0 {
            let hours = Int(seconds / 3600)
            checks.add(
                hours < 24 ? .warning : .passed, "binlog retention",
                hours % 24 == 0 ? "\(hours / 24) days" : "\(hours) hours",
                fix: hours < 24 ? "a connector stopped longer than this loses its place: keep binlogs longer" : nil)
        }
    }

    private func privileges(_ db: MySQLConnection) throws {
        let grants = try db.query("SHOW GRANTS").compactMap { $0.first ?? nil }.joined(separator: "\n").uppercased()
        let all = grants.contains("ALL PRIVILEGES ON *.*")
        func has(_ any: [String]) -> Bool { all || any.contains { grants.contains($0) } }
        if has(["REPLICATION SLAVE", "REPLICATION REPLICA"]) {
            checks.add(.passed, "REPLICATION SLAVE", "granted")
        } else {
            checks.add(
                .failed, "REPLICATION SLAVE", "not granted: the binlog cannot be read",
                fix: "GRANT REPLICATION SLAVE ON *.* TO \(config.connection.user)")
        }
        if has(["REPLICATION CLIENT", "BINLOG MONITOR", "SUPER"]) {
            checks.add(.passed, "REPLICATION CLIENT", "granted")
        } else {
            checks.add(
                .failed, "REPLICATION CLIENT", "not granted: the binlog position cannot be read",
                fix: "GRANT REPLICATION CLIENT ON *.* TO \(config.connection.user)")
        }
        if has(["SELECT"]) {
            checks.add(.passed, "SELECT", "granted")
        } else {
            checks.add(
                .failed, "SELECT", "not granted: snapshots and schemas cannot be read",
                fix: "GRANT SELECT ON *.* (or on the captured databases) TO \(config.connection.user)")
        }
        if config.snapshotLockingMode != .none && config.snapshotMode != .never && config.snapshotMode != .noData {
            if has(["RELOAD"]) {
                checks.add(.passed, "RELOAD", "granted")
            } else {
                checks.add(
                    .warning, "RELOAD", "not granted: the snapshot cannot take its global read lock",
                    fix: "GRANT RELOAD ON *.* TO \(config.connection.user), or set snapshot.locking.mode=none if no "
                        + "DDL runs during snapshots")
            }
        }
    }

    /// A replica id already connected would make the server drop one of the two connections.
    private func serverID(_ db: MySQLConnection) throws {
        let replicas = (try? db.query("SHOW SLAVE HOSTS")) ?? []
        if replicas.contains(where: { $0.first.flatMap { $0 } == String(config.serverID) }) {
            checks.add(
                .warning, "database.server.id", "\(config.serverID) is in use by a connected replica",
                fix: "give each connector (and replica) its own database.server.id")
        } else {
            checks.add(.passed, "database.server.id", "\(config.serverID) is not in use")
        }
    }

    private func tables(_ db: MySQLConnection) throws {
        let rows = try db.query(
            """
            SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'
            AND table_schema NOT IN ('mysql', 'sys', 'information_schema', 'performance_schema')
            """
        ).filter { row in
            guard let schema = row[0], let table = row[1] else { return false }
            return config.tableFilter.includes(schema: schema, table: table)
        }
        guard !rows.isEmpty else {
            checks.add(
                .failed, "captured tables", "no table matches the database and table filters",
                fix: "check database.include.list / table.include.list (regular expressions over database.table)")
            return
        }
        checks.add(
            .passed, "captured tables",
            "\(rows.count): " + rows.prefix(10).map { "\($0[0] ?? "").\($0[1] ?? "")" }.joined(separator: ", ")
                + (rows.count > 10 ? ", …" : ""))
    }
}

/// A binlog setting change events depend on, as the server has it.
struct BinlogRequirement {
    let setting: String
    let found: String
    let met: Bool
    /// What change events need.
    let need: String
    let fix: String
}

extension MySQLConnection {
    /// `log_bin`, `binlog_format` and `binlog_row_image` against what change events need (a row-based binlog with
    /// full images): checked by the connector's start, which refuses to go on without them, and reported by
    /// `tributary validate`. Empty when the server does not say.
    func binlogRequirements() throws -> [BinlogRequirement] {
        let row = try query("SELECT @@log_bin, @@binlog_format, @@binlog_row_image").first ?? []
        guard row.count == 3 else { return [] }
        return [
            BinlogRequirement(
                setting: "log_bin", found: row[0] == "1" ? "on" : "off", met: row[0] == "1", need: "a binlog",
                fix: "enable the binlog (log_bin in my.cnf, with a server_id) and restart"),
            BinlogRequirement(
                setting: "binlog_format", found: row[1] ?? "?", met: row[1]?.uppercased() == "ROW",
                need: "binlog_format=ROW", fix: "SET GLOBAL binlog_format = 'ROW' and binlog_format = ROW in my.cnf"),
            BinlogRequirement(
                setting: "binlog_row_image", found: row[2] ?? "?", met: row[2]?.uppercased() == "FULL",
                need: "FULL row images",
                fix: "SET GLOBAL binlog_row_image = 'FULL' and binlog_row_image = FULL in my.cnf"),
        ]
    }
}
