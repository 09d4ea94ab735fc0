import TributaryCore

/// What `tributary validate` checks in PostgreSQL before a connector runs: the settings, the role, the slot, the
/// publication and the captured tables, each with the fix when it is not right. Reads only; changes nothing.
extension PostgresConnector {
    public func checkEnvironment(_ config: Config) -> [EnvironmentCheck] {
        guard let settings = try? PostgresConnectorConfig(config) else { return [] }
        return PostgresEnvironmentChecks(settings).run()
    }
}

final class PostgresEnvironmentChecks {
    let config: PostgresConnectorConfig
    private let checks = EnvironmentChecks()
    /// Replication slots still free (read with the server settings).
    private var freeSlots = 1

    init(_ config: PostgresConnectorConfig) {
        self.config = config
    }

    func run() -> [EnvironmentCheck] {
        let db: PostgresConnection
        do {
            db = try PostgresConnection(config.connection, replication: false)
        } catch {
            return [
                EnvironmentCheck(
                    .failed, "connection", "\(error)",
                    fix: "check database.hostname, database.port, database.dbname, database.user and "
                        + "database.password, and that pg_hba.conf lets this host in")
            ]
        }
        defer { db.close() }
        checks.add(
            .passed, "connection", "connected to PostgreSQL \(db.serverVersion / 10000) at \(config.connection.address)"
        )
        checks.section("server settings") { try serverSettings(db) }
        checks.section("role") { try role(db) }
        checks.section("replication slot \(config.slotName)") { try slot(db) }
        checks.section("publication \(config.publicationName)") { try publicationAndTables(db) }
        return checks.all
    }

    private func serverSettings(_ db: PostgresConnection) throws {
        guard db.serverVersion >= 100_000 else {
            checks.add(.failed, "server version", "\(db.serverVersion)", fix: "pgoutput needs PostgreSQL 10 or later")
            return
        }
        let walLevel = try db.walLevel()
        if walLevel == "logical" {
            checks.add(.passed, "wal_level", "logical")
        } else {
            checks.add(.failed, "wal_level", walLevel ?? "?", fix: PostgresConnection.walLevelFix)
        }
        let free =
            try db.query(
                """
                SELECT current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots),
                       current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication)
                """, purpose: "count free replication slots and WAL senders"
            ).first ?? []
        freeSlots = free.first.flatMap { $0.flatMap { Int($0) } } ?? 0
        let freeSenders = free.count > 1 ? free[1].flatMap { Int($0) } ?? 0 : 0
        if freeSenders < 1 {
            checks.add(
                .failed, "max_wal_senders", "no WAL sender is free",
                fix: "raise max_wal_senders in postgresql.conf and restart")
        } else {
            checks.add(.passed, "max_wal_senders", "\(freeSenders) free")
        }
        checks.add(
            freeSlots > 0 ? .passed : .warning, "max_replication_slots", "\(freeSlots) free",
            fix: freeSlots > 0 ? nil : "a new slot needs a free one: raise max_replication_slots and restart")
    }

    private func role(_ db: PostgresConnection) throws {
        let rights = try db.replicationRights()
        if let rights, rights.replication || rights.superuser {
            checks.add(.passed, "role \(config.connection.user)", rights.superuser ? "superuser" : "has REPLICATION")
        } else {
            checks.add(
                .failed, "role \(config.connection.user)", "lacks the REPLICATION attribute",
                fix: db.replicationFix(user: config.connection.user))
        }
    }

    private func slot(_ db: PostgresConnection) throws {
        let subject = "replication slot \(config.slotName)"
        let rows = try db.query(
            "SELECT plugin, active, active_pid::text, database FROM pg_replication_slots WHERE slot_name = $1",
            [config.slotName], purpose: "look up the slot")
        guard let slot = rows.first else {
            if freeSlots < 1 {
                checks.add(
                    .failed, subject, "does not exist and no slot is free to create it",
                    fix: "raise max_replication_slots, or drop an unused slot (SELECT pg_drop_replication_slot(…))")
            } else {
                checks.add(.passed, subject, "does not exist yet; the connector creates it")
            }
            return
        }
        if slot[0] != "pgoutput" {
            checks.add(
                .failed, subject, "exists with plugin \(slot[0] ?? "?")",
                fix: "pick another slot.name, or drop this slot if nothing uses it")
        } else if slot[3] != config.connection.database {
            checks.add(
                .failed, subject, "belongs to database \(slot[3] ?? "?")",
                fix: "pick another slot.name: a slot reads one database")
        } else if slot[1] == "t" {
            checks.add(
                .warning, subject, "in use by process \(slot[2] ?? "?")",
                fix: "another client (a running connector?) reads it; the connector waits until it is free")
        } else {
            checks.add(.passed, subject, "exists (pgoutput); the connector resumes from it")
        }
    }

    private func publicationAndTables(_ db: PostgresConnection) throws {
        let subject = "publication \(config.publicationName)"
        let name = db.quoteIdentifier(config.publicationName)
        let tables = try db.query(
            """
            SELECT n.nspname, c.relname, c.relreplident::text, has_table_privilege(c.oid, 'SELECT'),
                   EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
                   pg_has_role(c.relowner, 'USAGE')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')
            """, purpose: "list the tables"
        ).filter { row in
            guard let schema = row[0], let table = row[1] else { return false }
            return config.tableFilter.includes(schema: schema, table: table)
        }
        let publication = try db.query(
            "SELECT puballtables FROM pg_publication WHERE pubname = $1", [config.publicationName],
            purpose: "look up the publication")
        let role =
            try db.query(
                "SELECT rolsuper, has_database_privilege(current_database(), 'CREATE') FROM pg_roles "
                    + "WHERE rolname = current_user", purpose: "read the role's privileges"
            ).first ?? []
        if let row = publication.first {
            if row.first == "t" {
                checks.add(.passed, subject, "exists, for all tables")
            } else {
                let published = Set(
                    try db.query(
                        "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = $1",
                        [config.publicationName], purpose: "list the published tables"
                    ).compactMap { $0.first ?? nil })
                let missing = tables.compactMap { r -> String? in
                    let qualified = "\(r[0] ?? "").\(r[1] ?? "")"
                    return published.contains(qualified) ? nil : qualified
                }
                if missing.isEmpty {
                    checks.add(.passed, subject, "exists and publishes every captured table")
                } else {
                    checks.add(
                        .warning, subject,
                        "does not publish \(missing.joined(separator: ", ")): their changes are not streamed",
                        fix: "ALTER PUBLICATION \(name) ADD TABLE "
                            + missing.map { db.quoteQualifiedName($0) }.joined(separator: ", "))
                }
            }
        } else {
            switch config.publicationAutocreateMode {
            case .disabled:
                checks.add(
                    .failed, subject, "does not exist and publication.autocreate.mode=disabled",
                    fix: "CREATE PUBLICATION \(name) FOR ALL TABLES (or FOR TABLE …), or change "
                        + "publication.autocreate.mode")
            case .allTables:
                if role.first == "t" {
                    checks.add(.passed, subject, "does not exist yet; the connector creates it FOR ALL TABLES")
                } else {
                    checks.add(
                        .failed, subject, "does not exist, and creating it FOR ALL TABLES needs a superuser",
                        fix: "have a superuser run CREATE PUBLICATION \(name) FOR ALL TABLES, or set "
                            + "publication.autocreate.mode=filtered")
                }
            case .filtered:
                let notOwned = tables.filter { $0[5] != "t" }.map { "\($0[0] ?? "").\($0[1] ?? "")" }
                if role.first != "t" && (role.last != "t" || !notOwned.isEmpty) {
                    checks.add(
                        .failed, subject, "does not exist, and this role may not create it for the captured tables",
                        fix: "GRANT CREATE ON DATABASE \(db.quoteIdentifier(config.connection.database)) TO "
                            + "\(db.quoteIdentifier(config.connection.user)) and make the role own the tables, or have "
                            + "a superuser create the publication")
                } else {
                    checks.add(.passed, subject, "does not exist yet; the connector creates it for the captured tables")
                }
            }
        }
        guard !tables.isEmpty else {
            checks.add(
                .failed, "captured tables", "no table matches the table and schema filters",
                fix: "check table.include.list / schema.include.list (regular expressions over schema.table)")
            return
        }
        checks.add(
            .passed, "captured tables",
            "\(tables.count): "
                + tables.prefix(10).map { "\($0[0] ?? "").\($0[1] ?? "")" }
                .joined(separator: ", ") + (tables.count > 10 ? ", …" : ""))
        for row in tables {
            let qualified = "\(row[0] ?? "").\(row[1] ?? "")"
            let quoted = db.quoteIdentifier(row[0] ?? "") + "." + db.quoteIdentifier(row[1] ?? "")
            if row[3] != "t" {
                checks.add(
                    config.snapshotMode.mayNeedSnapshot ? .failed : .warning, "table \(qualified)",
                    "this role may not SELECT from it (snapshots read it)",
                    fix: "GRANT SELECT ON \(quoted) TO \(db.quoteIdentifier(config.connection.user))")
            }
            if row[4] != "t" && (row[2] == "d" || row[2] == "n") {
                checks.add(
                    .warning, "table \(qualified)",
                    "has no primary key and no replica identity: once published, UPDATE and DELETE on it fail",
                    fix: "add a primary key, or ALTER TABLE \(quoted) REPLICA IDENTITY FULL")
            }
        }
    }
}

/// What logical replication needs of the server and the role, asked by the connector's start (which refuses to go
/// on without it) and by `tributary validate` (which reports it), with the same fixes.
extension PostgresConnection {
    static let walLevelFix = "logical decoding needs wal_level = logical in postgresql.conf (then restart the server)"

    /// The server's `wal_level`.
    func walLevel() throws -> String? {
        try query("SHOW wal_level", purpose: "read wal_level").first?.first ?? nil
    }

    /// Whether the current role has the REPLICATION attribute and whether it is a superuser; nil when the role
    /// is not in `pg_roles`.
    func replicationRights() throws -> (replication: Bool, superuser: Bool)? {
        let row = try query(
            "SELECT rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user",
            purpose: "read the role's attributes"
        ).first
        return row.map { ($0.first == "t", $0.last == "t") }
    }

    func replicationFix(user: String) -> String {
        "ALTER ROLE \(quoteIdentifier(user)) REPLICATION (as a superuser)"
    }
}
