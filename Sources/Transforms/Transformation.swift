import TributaryCore

/// A single message transform (Kafka Connect's `Transformation`): changes a record, or drops it by returning nil.
///
/// An instance belongs to one task thread, so it may keep caches without locking. A transform that derives a new
/// schema keeps it per input schema (`SchemaMemo`): the same input schema always gives the same output schema
/// object, so the converters' schema caches keep working.
public protocol Transformation: AnyObject {
    func apply(_ record: SourceRecord) throws -> SourceRecord?
}

/// A condition on a record (Kafka Connect's `Predicate`) that decides whether a transform applies.
public protocol RecordPredicate: AnyObject {
    func test(_ record: SourceRecord) -> Bool
}

/// A failure of a transform on one record: what was expected and what was found.
public struct TransformError: Error, CustomStringConvertible {
    public let transform: String
    public let message: String

    public init(_ transform: String, _ message: String) {
        self.transform = transform
        self.message = message
    }

    public var description: String { "\(transform): \(message)" }
}

/// Which part of a record a `$Key` or `$Value` transform works on.
public enum RecordPart: Sendable {
    case key, value

    /// The part a class name's `$Key` or `$Value` suffix names.
    init?(suffix className: String) {
        if className.hasSuffix("$Key") {
            self = .key
        } else if className.hasSuffix("$Value") {
            self = .value
        } else {
            return nil
        }
    }

    func schema(of record: SourceRecord) -> Schema? {
        self == .key ? record.keySchema : record.valueSchema
    }

    func value(of record: SourceRecord) -> Value {
        self == .key ? record.key : record.value
    }

    func replacing(_ record: SourceRecord, schema: Schema?, value: Value) -> SourceRecord {
        var copy = record
        switch self {
        case .key:
            copy.keySchema = schema
            copy.key = value
        case .value:
            copy.valueSchema = schema
            copy.value = value
        }
        return copy
    }
}
