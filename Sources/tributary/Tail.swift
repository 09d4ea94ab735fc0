import ArgumentParser
import Converters
import Dispatch
import KafkaClient
import Logging
import Runtime
import TributaryCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tributary tail`: prints what is in Kafka topics, one JSON line per record, for people and scripts; or, with
/// `--connector`, runs a connector and prints its records without Kafka.
///
/// Records are printed as they arrive (in order within each partition), so memory stays bounded however large
/// the topics are.
struct Tail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Print the records of Kafka topics from the beginning, one JSON line each: \
            {topic, partition, offset, timestamp, key, value}. With --connector: run that connector and print its \
            change events as {topic, timestamp, key, value} lines, without Kafka.
            """)

    @Option(name: .long, help: "Run this connector (a properties file) and print its records instead of reading Kafka.")
    var connector: String?

    @Option(
        name: .long, help: "With --connector: worker properties (converters, transforms' config providers, offsets).")
    var worker: String?

    @Flag(name: .long, help: "With --connector: store offsets and confirm them to the source (a slot moves on).")
    var commitOffsets = false

    @OptionGroup var logging: LoggingOptions

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

    @Argument(help: "Topics to read (without --connector).")
    var topics: [String] = []

    func validate() throws {
        if connector == nil && topics.isEmpty { throw ValidationError("give topics to read, or --connector") }
        if connector != nil && !topics.isEmpty { throw ValidationError("give topics or --connector, not both") }
        if commitOffsets && worker == nil {
            throw ValidationError("--commit-offsets needs --worker (its offset.storage.file.filename)")
        }
    }

    func run() throws {
        if let connector { return try runConnector(connector) }
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

    /// Runs the connector with a producer that prints, until interrupted or `--max` records were printed.
    private func runConnector(_ path: String) throws {
        logging.bootstrap()
        var workerValues = try worker.map { try Standalone.load($0) } ?? Config()
        let providers = try ConfigProviders(workerValues)
        workerValues = try providers.resolve(workerValues)
        if workerValues.string("bootstrap.servers") == nil { workerValues["bootstrap.servers"] = "unused:9092" }
        workerValues["topic.creation.enable"] = "false"
        let connectorConfig = try providers.resolve(try Standalone.load(path))
        let workerConfig = try WorkerConfig(workerValues, standalone: false)
        let logger = Logger(label: "tributary")
        for warning in UnknownSettings.inConnector(connectorConfig, worker: workerValues, plugins: Standalone.plugins) {
            logger.warning("\(warning)", metadata: ["file": "\(path)"])
        }
        let fileStore = try workerConfig.offsetFile.map { try FileOffsetStore(path: $0) }
        let offsets: any OffsetBackingStore =
            commitOffsets ? fileStore! : MemoryOffsetStore(startingFrom: fileStore)
        let printed = Locked(0)
        let limit = max
        nonisolated(unsafe) var runner: SourceTaskRunner?
        let output: PrintingProducer.Output = { line in
            let (accepted, done) = printed.withLock { count -> (Bool, Bool) in
                guard limit == 0 || count < limit else { return (false, true) }
                writeAll(line + [UInt8(ascii: "\n")], to: 1)
                count += 1
                return (true, limit > 0 && count >= limit)
            }
            if done { runner?.stop() }
            return accepted
        }
        let taskRunner = try SourceTaskRunner(
            connector: connectorConfig, worker: workerConfig, offsets: offsets, plugins: Standalone.plugins,
            makeProducer: PrintingProducer.factory(output: output), commitOffsets: commitOffsets)
        runner = taskRunner
        for sig in [SIGINT, SIGTERM] { signal(sig, SIG_IGN) }
        let sources = [SIGINT, SIGTERM].map { sig in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { taskRunner.stop() }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        try taskRunner.run()
    }
}
