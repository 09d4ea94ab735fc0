#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Kafka's configuration providers (KIP-297, KIP-887): values such as `${file:/etc/secrets.properties:password}`,
/// `${env:DB_PASSWORD}` or `${dir:/run/secrets:db-password}` are replaced by what the provider the worker names
/// in `config.providers` returns, so that secrets stay out of the connector files.
///
/// A variable whose provider is not configured stays as written, as in Kafka; one that names a configured
/// provider but cannot be resolved (no file, no such key or variable) is an error naming the setting.
public struct ConfigProviders: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case file = "org.apache.kafka.common.config.provider.FileConfigProvider"
        case environment = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
        case directory = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
    }

    public let providers: [String: Kind]

    /// Reads `config.providers=file,env` and `config.providers.<name>.class=<class>` from a worker configuration.
    public init(_ worker: Config) throws(ConfigError) {
        var providers: [String: Kind] = [:]
        for name in worker.list("config.providers") {
            let key = "config.providers.\(name).class"
            let className = try worker.required(key)
            guard let kind = Kind(rawValue: className) else {
                throw .invalid(
                    key: key, value: className, expected: Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            providers[name] = kind
        }
        self.providers = providers
    }

    /// `config` with every resolvable variable replaced.
    public func resolve(_ config: Config) throws(ConfigError) -> Config {
        guard !providers.isEmpty else { return config }
        var resolved = config
        for (key, value) in config.values where value.contains("${") {
            resolved[key] = try resolve(value, key: key)
        }
        return resolved
    }

    private func resolve(_ value: String, key: String) throws(ConfigError) -> String {
        var result = ""
        var rest = value[...]
        while let start = rest.firstRange(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
            result += rest[..<start.lowerBound]
            let variable = String(rest[start.upperBound..<end])
            let original = "${" + variable + "}"
            rest = rest[rest.index(after: end)...]
            let parts = variable.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, let kind = providers[parts[0]] else {
                result += original
                continue
            }
            let path = parts.count == 3 ? parts[1] : nil
            let name = parts.count == 3 ? parts[2] : parts[1]
            guard let found = lookup(kind, path: path, name: name) else {
                throw .other(
                    key: key, message: "cannot resolve \(original): \(Self.reason(kind, path: path, name: name))")
            }
            result += found
        }
        return result + rest
    }

    private func lookup(_ kind: Kind, path: String?, name: String) -> String? {
        switch kind {
        case .environment:
            return ProcessInfo.processInfo.environment[name]
        case .file:
            guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            return Config(properties: text).values[name]
        case .directory:
            guard let path, !name.contains("/") else { return nil }
            return try? String(contentsOfFile: path + "/" + name, encoding: .utf8)
        }
    }

    private static func reason(_ kind: Kind, path: String?, name: String) -> String {
        switch kind {
        case .environment: "no environment variable \(name)"
        case .file: path.map { "no key \(name) in the properties file \($0) (or the file cannot be read)" } ?? "no file"
        case .directory: path.map { "no readable file \(name) in \($0)" } ?? "no directory"
        }
    }
}
