import ArgumentParser
import Converters
import KafkaClient

/// `tributary tail`: prints what is in Kafka topics, one JSON line per record, for people and scripts.
///
/// Records are printed as they arrive (in order within each partition), so memory stays bounded however large
/// the topics are.
struct Tail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Print the records of Kafka topics from the beginning, one JSON line each: \
            {topic, partition, offset, timestamp, key, value}.
            """)

    @Option(name: .long, help: "Kafka bootstrap servers.")
    var bootstrapServers: String = "127.0.0.1:9092"

    @Option(name: .long, help: "Stop after this many records (0: no limit).")
    var max: Int = 0

    @Option(name: .long, help: "Stop when no record arrived for this many milliseconds.")
    var idleMs: Int32 = 3000

    @Option(name: .long, help: "Wait this many milliseconds for topics that do not exist yet.")
    var waitMs: Int = 30_000

    @Option(name: .long, help: "Skip records with an earlier timestamp (milliseconds since the epoch).")
    var sinceMs: Int64 = 0

    @Argument(help: "Topics to read.")
    var topics: [String]

    func run() throws {
        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": bootstrapServers])
        let missing = try consumer.waitForTopics(topics, timeoutMilliseconds: waitMs)
        guard missing.isEmpty else {
            printError("error: topic \(missing.joined(separator: ", ")) does not exist at \(bootstrapServers)")
            throw ExitCode(66)  // EX_NOINPUT
        }
        var count = 0
        try consumer.forEach(topics: topics, idleMilliseconds: idleMs, timeoutMilliseconds: 86_400_000) { m in
            guard m.timestamp >= sinceMs else { return true }
            var line = JSONWriter(capacity: 256 + (m.value?.count ?? 0))
            line.raw("{\"topic\":")
            line.string(m.topic)
            line.raw(",\"partition\":")
            line.int(Int64(m.partition))
            line.raw(",\"offset\":")
            line.int(m.offset)
            line.raw(",\"timestamp\":")
            line.int(m.timestamp)
            line.raw(",\"key\":")
            if let key = m.key { line.raw(key) } else { line.null() }
            line.raw(",\"value\":")
            if let value = m.value { line.raw(value) } else { line.null() }
            line.byte(UInt8(ascii: "}"))
            print(String(decoding: line.bytes, as: UTF8.self))
            count += 1
            return max == 0 || count < max
        }
    }
}
