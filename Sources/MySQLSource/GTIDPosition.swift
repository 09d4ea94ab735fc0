import BinlogProtocol

/// The transactions a binlog position has seen, in its server's notation: MariaDB's last GTID per domain
/// (`0-1-42,1-2-7`) or MySQL's GTID set (`uuid:1-42`). Unlike a file and position, it means the same on every
/// server of a replication topology, so resuming and replaying the schema history by it survive a fail-over.
enum GTIDPosition: Equatable {
    case mariadb(MariaDBGTIDState)
    case mysql(MySQLGTIDSet)

    /// Reads either notation (they cannot be confused: MySQL's names a UUID before a colon); nil for an empty text
    /// or one that is neither.
    init?(_ text: String) {
        if let state = MariaDBGTIDState(text), !state.isEmpty {
            self = .mariadb(state)
        } else if let set = MySQLGTIDSet(text), !set.isEmpty {
            self = .mysql(set)
        } else {
            return nil
        }
    }

    var flavor: MySQLConnectorConfig.Flavor {
        switch self {
        case .mariadb: .mariadb
        case .mysql: .mysql
        }
    }

    /// Whether every transaction `other` has seen, this has seen too; nil when the two are of different notations
    /// and cannot be compared.
    func covers(_ other: GTIDPosition) -> Bool? {
        switch (self, other) {
        case (.mariadb(let mine), .mariadb(let theirs)): mine.covers(theirs)
        case (.mysql(let mine), .mysql(let theirs)): mine.isSuperset(of: theirs)
        default: nil
        }
    }
}
