import ArgumentParser
import BinlogProtocol
import MySQLSource

#if canImport(Glibc)
import Glibc
#endif

/// `tributary binlog`: reads a MySQL/MariaDB binlog as a replica, to its current end, decodes every event and
/// prints what it held: events by type, rows by table, and the rate. For looking at what a connector would read,
/// and for measuring the decoder.
struct Binlog: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read a MySQL/MariaDB binlog to its end as a replica and print what it holds, decoded.")

    @Option(name: .long, help: "Server host.") var host = "127.0.0.1"
    @Option(name: .long, help: "Server port.") var port = 3306
    @Option(name: .long, help: "User (with REPLICATION SLAVE).") var user = "root"
    @Option(name: .long, help: "Environment variable holding the password.")
    var passwordEnv = "TRIBUTARY_DATABASE_PASSWORD"
    @Option(name: .long, help: "Replica id to register with (unique among the server's replicas).")
    var serverID: UInt32 = 4242
    @Option(name: .long, help: "Binlog file to start in.") var file: String?
    @Option(name: .long, help: "Position in that file.") var position: UInt64 = 4
    @Option(name: .long, help: "MariaDB GTID position to start after, instead of a file (0-1-42,1-1-7).")
    var gtid: String?
    @Flag(name: .long, help: "Print one line per event.") var events = false

    func run() throws {
        let start: BinlogConnection.Start
        if let gtid {
            start = .mariaDBGTID(gtid)
        } else if let file {
            start = .file(file, position: position)
        } else {
            throw ValidationError("give --file (and --position) or --gtid")
        }
        var settings = BinlogConnection.Settings(
            host: host, port: port, user: user, password: getenv(passwordEnv).map { String(cString: $0) },
            serverID: serverID)
        settings.stopAtEnd = true
        let clock = ContinuousClock()
        let began = clock.now
        let connection = try BinlogConnection(settings, from: start)
        var decoder = BinlogDecoder(checksumsBeforeFormat: connection.checksums)
        var summary = Summary()
        while let bytes = try connection.next() {
            let (header, event) = try decoder.decode(bytes[...])
            if case .transactionPayload(let payload) = event {
                try decoder.decodePayload(payload) { header, event in summary.add(header, event) }
            }
            summary.add(header, event)
            if events { print("\(header.nextPosition)\t\(header.type)\t\(describe(event))") }
        }
        let elapsed = clock.now - began
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(summary.report(seconds: seconds))
    }

    private func describe(_ event: BinlogEvent) -> String {
        switch event {
        case .query(let q): String(q.sql.prefix(120)).replacing("\n", with: " ")
        case .tableMap(let map): "\(map.database).\(map.table) id \(map.tableID)"
        case .rows(let rows): "\(rows.kind) \(rows.rows.count) rows of table id \(rows.tableID)"
        case .rotate(let position, let file): "\(file):\(position)"
        case .mariaDBGTID(let gtid, _): "\(gtid)"
        case .gtid(let gtid): gtid ?? "anonymous"
        case .xid(let xid): "xid \(xid)"
        default: ""
        }
    }

    /// Counts by event type and rows by table.
    private struct Summary {
        var events: [String: Int] = [:]
        var rows: [String: Int] = [:]
        var bytes = 0
        var tables: [UInt64: TableMap] = [:]

        mutating func add(_ header: BinlogEventHeader, _ event: BinlogEvent) {
            events["\(header.type)", default: 0] += 1
            bytes += Int(header.eventSize)
            if case .tableMap(let map) = event { tables[map.tableID] = map }
            if case .rows(let r) = event {
                let table = tables[r.tableID].map { "\($0.database).\($0.table)" } ?? "table id \(r.tableID)"
                rows[table, default: 0] += r.rows.count
            }
        }

        func report(seconds: Double) -> String {
            let total = rows.values.reduce(0, +)
            var lines = [
                "events: " + events.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            ]
            lines += rows.sorted { $0.key < $1.key }.map { "rows: \($0.key) \($0.value)" }
            let rate = seconds > 0 ? Int(Double(total) / seconds) : 0
            lines.append(
                "read \(bytes) bytes, \(total) rows in \((seconds * 100).rounded() / 100) s: \(rate) rows/s")
            return lines.joined(separator: "\n")
        }
    }
}
