#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A row of Debezium's signal table (`signal.data.collection`: `id`, `type`, `data`), read from the change stream,
/// and what it asks the connector to do. The types and `data` documents are Debezium's, so that the statements
/// teams already use to drive Debezium drive Tributary too.
public struct Signal: Sendable, Equatable {
    /// The row's `id`: any unique string for requests; `<chunk id>-open` / `-close` for the connector's own
    /// incremental snapshot watermarks.
    public var id: String
    public var action: Action

    public enum Action: Sendable, Equatable {
        /// `execute-snapshot`.
        case executeSnapshot(ExecuteSnapshot)
        /// `stop-snapshot`: the data collections whose snapshot stops (all when empty).
        case stopSnapshot(dataCollections: [String])
        case pauseSnapshot
        case resumeSnapshot
        /// `snapshot-window-open` / `snapshot-window-close`: the low and high watermarks of a chunk.
        case openWindow
        case closeWindow
        /// `log`: a message for the connector's log.
        case log(String)
    }

    /// What `execute-snapshot` asks for.
    public struct ExecuteSnapshot: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case incremental
            case blocking
        }

        public var kind: Kind
        /// Regular expressions matched against `schema.table`.
        public var dataCollections: [String]
        /// Per data collection, a condition the rows must meet (`additional-conditions`).
        public var additionalConditions: [String: String]
        /// A column to chunk by instead of the primary key (`surrogate-key`).
        public var surrogateKey: String?

        public init(
            kind: Kind, dataCollections: [String], additionalConditions: [String: String] = [:],
            surrogateKey: String? = nil
        ) {
            self.kind = kind
            self.dataCollections = dataCollections
            self.additionalConditions = additionalConditions
            self.surrogateKey = surrogateKey
        }
    }

    /// The signal types, as Debezium names them.
    public enum Kind: String, Sendable, CaseIterable {
        case executeSnapshot = "execute-snapshot"
        case stopSnapshot = "stop-snapshot"
        case pauseSnapshot = "pause-snapshot"
        case resumeSnapshot = "resume-snapshot"
        case openWindow = "snapshot-window-open"
        case closeWindow = "snapshot-window-close"
        case log
    }

    /// Why a signal row was not understood: said in the log, never a stopped connector.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    public init(id: String, action: Action) {
        self.id = id
        self.action = action
    }

    /// Reads a signal row. `data` is the JSON document of the row's third column.
    public init(id: String, type: String, data: String?) throws(ParseError) {
        guard let kind = Kind(rawValue: type) else {
            throw ParseError(
                description: "unknown signal type \"\(type)\" (known: "
                    + Kind.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        self.id = id
        switch kind {
        case .openWindow: action = .openWindow
        case .closeWindow: action = .closeWindow
        case .pauseSnapshot: action = .pauseSnapshot
        case .resumeSnapshot: action = .resumeSnapshot
        case .log:
            let document = try Self.document(data, kind)
            guard let message = document.message else {
                throw ParseError(description: "log signal without \"message\"")
            }
            action = .log(message)
        case .stopSnapshot:
            let document = try Self.document(data, kind)
            action = .stopSnapshot(dataCollections: document.dataCollections ?? [])
        case .executeSnapshot:
            let document = try Self.document(data, kind)
            guard let collections = document.dataCollections, !collections.isEmpty else {
                throw ParseError(description: "execute-snapshot signal without \"data-collections\"")
            }
            let kindName = document.type?.lowercased() ?? ExecuteSnapshot.Kind.incremental.rawValue
            guard let snapshotKind = ExecuteSnapshot.Kind(rawValue: kindName) else {
                throw ParseError(description: "execute-snapshot of unknown type \"\(kindName)\"")
            }
            var conditions: [String: String] = [:]
            for condition in document.additionalConditions ?? [] {
                guard let collection = condition.dataCollection, let filter = condition.filter else {
                    throw ParseError(
                        description: "additional-conditions entries need \"data-collection\" and \"filter\"")
                }
                conditions[collection] = filter
            }
            // Debezium 1.x's single condition, for every collection of the signal.
            if let legacy = document.additionalCondition, !legacy.isEmpty {
                for collection in collections where conditions[collection] == nil { conditions[collection] = legacy }
            }
            action = .executeSnapshot(
                ExecuteSnapshot(
                    kind: snapshotKind, dataCollections: collections, additionalConditions: conditions,
                    surrogateKey: document.surrogateKey.flatMap { $0.isEmpty ? nil : $0 }))
        }
    }

    /// The fields of `data` the signal types use.
    private struct Document: Decodable {
        struct Condition: Decodable {
            var dataCollection: String?
            var filter: String?
            enum CodingKeys: String, CodingKey {
                case dataCollection = "data-collection"
                case filter
            }
        }

        var dataCollections: [String]?
        var type: String?
        var additionalConditions: [Condition]?
        var additionalCondition: String?
        var surrogateKey: String?
        var message: String?

        enum CodingKeys: String, CodingKey {
            case dataCollections = "data-collections"
            case type
            case additionalConditions = "additional-conditions"
            case additionalCondition = "additional-condition"
            case surrogateKey = "surrogate-key"
            case message
        }
    }

    private static func document(_ data: String?, _ kind: Kind) throws(ParseError) -> Document {
        guard let data, !data.isEmpty else { return Document() }
        do {
            return try JSONDecoder().decode(Document.self, from: Data(data.utf8))
        } catch {
            throw ParseError(description: "\(kind.rawValue) signal with data that is not the JSON expected: \(data)")
        }
    }
}
