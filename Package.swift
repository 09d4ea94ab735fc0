// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Tributary",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tributary", targets: ["tributary"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // Without its default traits Hummingbird needs FoundationEssentials only (no full Foundation, no ICU).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
    ],
    targets: [
        // C libraries, found through pkg-config.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["default-libmysqlclient-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        // OpenSSL's digests (column hashes, as Java's MessageDigest names them).
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // zstd, for MySQL 8's compressed transactions (TRANSACTION_PAYLOAD).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // libcurl's header, for the Schema Registry's REST API (HTTP and HTTPS); the library is opened at run time.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(name: "TributaryCore", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // The Confluent Schema Registry client the Avro, Protobuf and JSON Schema converters share.
        .target(name: "SchemaRegistry", dependencies: ["CCurl", "TributaryCore"]),
        .target(name: "Converters", dependencies: ["TributaryCore", "SchemaRegistry"]),
        // Single message transforms and predicates (Kafka Connect's and Debezium's), between sources and converters.
        .target(
            name: "Transforms",
            dependencies: [
                "TributaryCore", "Converters", "DebeziumEvents", .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "KafkaClient",
            dependencies: [
                "CRdKafka", "TributaryCore", .product(name: "Logging", package: "swift-log"),
            ]),
        // Debezium's change-event model shared by every source: envelope, source block, keys, filters, topics.
        .target(
            name: "DebeziumEvents",
            dependencies: ["TributaryCore", "CCrypto", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "PostgresSource",
            dependencies: [
                "CLibPQ", "TributaryCore", "DebeziumEvents", "Converters",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // MySQL/MariaDB binlog events: a pure decoder, shared by files and the replication stream.
        .target(name: "BinlogProtocol", dependencies: ["CZstd", "TributaryCore"]),
        // MySQL/MariaDB DDL: a pure parser and the table schemas it maintains.
        .target(name: "MySQLDDL"),
        .target(
            name: "MySQLSource",
            dependencies: [
                "CMariaDB", "BinlogProtocol", "MySQLDDL", "TributaryCore", "DebeziumEvents", "Converters",
                "KafkaClient",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "Runtime",
            dependencies: [
                "TributaryCore", "Converters", "Transforms", "KafkaClient",
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
            ]),
        // The JDBC sink: Debezium's JdbcSinkConnector, writing records back into databases.
        .target(
            name: "JdbcSink",
            dependencies: [
                "TributaryCore", "DebeziumEvents", "PostgresSource", "MySQLSource",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // `tributary verify`: a source table and its copy compared row by row across databases.
        .target(name: "TableVerify", dependencies: ["Converters", "JdbcSink", "PostgresSource", "MySQLSource"]),
        // The worker's HTTP listener: /metrics (Prometheus text), / and /health.
        .target(
            name: "Monitoring",
            dependencies: [
                "TributaryCore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "tributary",
            dependencies: [
                "Runtime", "KafkaClient", "Converters", "Transforms", "TributaryCore", "PostgresSource", "MySQLSource",
                "BinlogProtocol", "Monitoring", "JdbcSink", "TableVerify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Unit tests: no server needed.
        .testTarget(name: "TributaryCoreTests", dependencies: ["TributaryCore"]),
        .testTarget(name: "ConvertersTests", dependencies: ["Converters", "TributaryCore", "SchemaRegistry"]),
        .testTarget(name: "TransformsTests", dependencies: ["Transforms", "Converters", "TributaryCore"]),
        .testTarget(
            name: "MonitoringTests",
            dependencies: [
                "Monitoring", "TributaryCore", .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "PostgresSourceTests", dependencies: ["PostgresSource", "DebeziumEvents", "TributaryCore"]),
        .testTarget(
            name: "RuntimeTests", dependencies: ["Runtime", "TributaryCore", "KafkaClient", "Converters", "Transforms"]),
        .testTarget(name: "DebeziumEventsTests", dependencies: ["DebeziumEvents", "TributaryCore"]),
        .testTarget(name: "JdbcSinkTests", dependencies: ["JdbcSink", "TributaryCore", "DebeziumEvents"]),
        .testTarget(name: "TableVerifyTests", dependencies: ["TableVerify"]),
        .testTarget(name: "BinlogProtocolTests", dependencies: ["BinlogProtocol"]),
        .testTarget(name: "MySQLDDLTests", dependencies: ["MySQLDDL"]),
        .testTarget(
            name: "MySQLSourceTests", dependencies: ["MySQLSource", "MySQLDDL", "BinlogProtocol", "TributaryCore"]),
        // Integration tests: need PostgreSQL and the broker from scripts/services.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Runtime", "KafkaClient", "PostgresSource", "Converters", "TributaryCore", "BinlogProtocol",
                "MySQLSource", "SchemaRegistry", "Monitoring", "JdbcSink", "TableVerify",
            ]),
    ]
)
