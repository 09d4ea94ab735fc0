import DebeziumEvents
import TributaryCore

/// Where the connector resumes, in Debezium's offset keys: the binlog position to restart from (a transaction's
/// first event while inside one), the GTID set completed before it, and how many rows events (`event`) and rows
/// of the next one (`row`) of that transaction were already delivered. A snapshot in progress adds `snapshot`.
struct MySQLOffset: Equatable {
    var position: BinlogPosition
    var gtids: String?
    var eventsToSkip = 0
    var rowsToSkip = 0
    /// The binlog timestamp of the last event read, in seconds (`ts_sec`).
    var timestampSeconds: Int64 = 0
    var serverID: UInt32 = 0
    /// Set by a snapshot that has not finished: a restart reads it again, or goes on from `snapshotResume`.
    var snapshotInProgress = false
    /// Where an interrupted snapshot can go on: the table being read, and the key of a row up to which its rows
    /// (read in key order) are in Kafka.
    var snapshotResume: SnapshotResume?

    struct SnapshotResume: Equatable {
        var table: String
        var key: [String?]

        static let tableKey = "snapshot_resume_table"
        static let keyKey = "snapshot_resume_key"
    }

    init(position: BinlogPosition, gtids: String? = nil) {
        self.position = position
        self.gtids = gtids
    }

    init?(_ map: OffsetMap) {
        guard case .string(let file)? = map["file"], case .int(let pos)? = map["pos"] else { return nil }
        position = BinlogPosition(file: file, position: UInt64(max(0, pos)))
        if case .string(let g)? = map["gtids"], !g.isEmpty { gtids = g }
        if case .int(let e)? = map["event"] { eventsToSkip = Int(e) }
        if case .int(let r)? = map["row"] { rowsToSkip = Int(r) }
        if case .int(let t)? = map["ts_sec"] { timestampSeconds = t }
        if case .int(let s)? = map["server_id"] { serverID = UInt32(truncatingIfNeeded: s) }
        switch map["snapshot"] {
        case .bool(true)?, .string("true")?: snapshotInProgress = true
        default: break
        }
        if case .string(let table)? = map[SnapshotResume.tableKey], case .string(let key)? = map[SnapshotResume.keyKey],
            let key = try? IncrementalSnapshotContext.key(fromJSON: key)
        {
            snapshotResume = SnapshotResume(table: table, key: key)
        }
    }

    /// Where a restart asks the server for the binlog from: after `gtids` when the offset has GTIDs in the
    /// server's notation (as Debezium's connectors resume), at `position` otherwise (nil).
    func gtidPosition(_ flavor: MySQLConnectorConfig.Flavor) -> GTIDPosition? {
        guard let position = gtids.flatMap(GTIDPosition.init), position.flavor == flavor else { return nil }
        return position
    }

    var map: OffsetMap {
        var map: OffsetMap = [
            "file": .string(position.file), "pos": .int(Int64(position.position)), "ts_sec": .int(timestampSeconds),
        ]
        if serverID != 0 { map["server_id"] = .int(Int64(serverID)) }
        if let gtids { map["gtids"] = .string(gtids) }
        if eventsToSkip != 0 { map["event"] = .int(Int64(eventsToSkip)) }
        if rowsToSkip != 0 { map["row"] = .int(Int64(rowsToSkip)) }
        if snapshotInProgress { map["snapshot"] = .bool(true) }
        if let snapshotResume {
            map[SnapshotResume.tableKey] = .string(snapshotResume.table)
            map[SnapshotResume.keyKey] = .string(IncrementalSnapshotContext.keyJSON(snapshotResume.key))
        }
        return map
    }
}
