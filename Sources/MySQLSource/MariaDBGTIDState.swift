import BinlogProtocol
import TributaryCore

/// MariaDB's replication state (`@@gtid_binlog_pos`): the last GTID of each replication domain, advanced as
/// transactions commit. Its text (`0-1-42,1-2-7`) is what `@slave_connect_state` and Debezium's `gtids` offset
/// hold.
struct MariaDBGTIDState: Equatable {
    private(set) var lastByDomain: [UInt32: BinlogEvent.MariaDBGTID] = [:]

    init() {}

    /// Reads `0-1-42,1-2-7`; nil if it is not such a list.
    init?(_ text: String) {
        for part in text.split(separator: ",") {
            let fields = String(part).trimmed.split(separator: "-")
            guard fields.count == 3, let domain = UInt32(fields[0]), let server = UInt32(fields[1]),
                let sequence = UInt64(fields[2])
            else { return nil }
            lastByDomain[domain] = BinlogEvent.MariaDBGTID(domain: domain, server: server, sequence: sequence)
        }
    }

    mutating func commit(_ gtid: BinlogEvent.MariaDBGTID) {
        lastByDomain[gtid.domain] = gtid
    }

    var isEmpty: Bool { lastByDomain.isEmpty }

    /// Whether every transaction `other` counts is counted here too: per domain, a sequence at least as far.
    func covers(_ other: MariaDBGTIDState) -> Bool {
        other.lastByDomain.allSatisfy { domain, gtid in (lastByDomain[domain]?.sequence ?? 0) >= gtid.sequence }
    }

    var text: String {
        lastByDomain.keys.sorted().map { lastByDomain[$0]!.description }.joined(separator: ",")
    }
}
