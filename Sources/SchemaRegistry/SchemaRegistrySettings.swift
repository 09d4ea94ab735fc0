import TributaryCore

/// The Schema Registry client settings Confluent's converters take (`schema.registry.url`, `basic.auth.*`,
/// `schema.registry.ssl.*`), read from a converter's settings with the converter prefix removed.
public struct SchemaRegistrySettings: Sendable {
    /// Where `user:password` for basic authentication comes from (`basic.auth.credentials.source`).
    public enum CredentialsSource: String, Sendable, CaseIterable {
        /// From the URL's user info (`http://user:password@host:8081`), Confluent's default.
        case url = "URL"
        /// From `basic.auth.user.info`.
        case userInfo = "USER_INFO"
    }

    /// TLS for `https://` URLs, in the PEM form Kafka's `ssl.truststore.type=PEM` takes.
    public struct TLS: Sendable {
        /// CA certificates (PEM) to trust instead of the system's.
        public var caLocation: String?
        /// Client certificate (PEM), for registries that require one.
        public var certificateLocation: String?
        /// Client private key (PEM); defaults to the certificate file.
        public var keyLocation: String?
        public var keyPassword: String?
        /// `schema.registry.ssl.endpoint.identification.algorithm`: empty turns host name checks off.
        public var verifyHostname = true

        public init() {}
    }

    /// Tried in order; a URL that fails is left for the next one until it fails too.
    public var urls: [String]
    /// `user:password`, or nil without basic authentication.
    public var userInfo: String?
    public var tls = TLS()
    /// `schema.registry.request.timeout.ms`.
    public var requestTimeoutMilliseconds = 30_000

    public init(urls: [String], userInfo: String? = nil) {
        self.urls = urls
        self.userInfo = userInfo
    }

    /// Reads the settings; errors name the key as given (the caller adds its prefix).
    public init(_ config: Config) throws(ConfigError) {
        let urls = config.list("schema.registry.url")
        guard !urls.isEmpty else { throw .missing(key: "schema.registry.url") }
        for url in urls where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw .invalid(
                key: "schema.registry.url", value: url, expected: "http:// or https:// URLs, comma-separated")
        }
        self.init(urls: urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 })
        let source = try config.enumeration("basic.auth.credentials.source", default: CredentialsSource.url)
        if source == .userInfo {
            let key =
                config.string("basic.auth.user.info") != nil
                ? "basic.auth.user.info" : "schema.registry.basic.auth.user.info"
            let info = try config.required(key)
            guard info.contains(":") else {
                throw .invalid(key: key, value: info, expected: "user:password")
            }
            userInfo = info
        }
        requestTimeoutMilliseconds = try config.int(
            "schema.registry.request.timeout.ms", default: 30_000, range: 1...3_600_000)
        let ssl = "schema.registry.ssl."
        for store in ["truststore", "keystore"] {
            let type = try config.choice(ssl + store + ".type", default: "PEM", allowed: ["PEM", "JKS", "PKCS12"])
            if type != "PEM", config.string(ssl + store + ".location") != nil {
                throw .invalid(
                    key: ssl + store + ".type", value: type,
                    expected: "PEM (convert the \(type) store with keytool/openssl and point \(ssl + store).location "
                        + "at the PEM file)")
            }
        }
        tls.caLocation = config.string(ssl + "truststore.location")
        tls.certificateLocation = config.string(ssl + "keystore.location")
        tls.keyLocation = config.string(ssl + "key.location")
        tls.keyPassword = config.string(ssl + "key.password") ?? config.string(ssl + "keystore.password")
        if let algorithm = config.values[ssl + "endpoint.identification.algorithm"] {
            tls.verifyHostname = !algorithm.trimmed.isEmpty
        }
    }
}
