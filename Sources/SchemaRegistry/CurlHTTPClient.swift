import CCurl

/// A blocking HTTP/1.1 client over libcurl: one easy handle, so that its connections stay open between requests.
///
/// The Schema Registry is called once per new schema, not per record, so a blocking call on the task's thread is
/// the simple and sufficient choice. One instance belongs to one thread.
final class CurlHTTPClient {
    enum Method: String {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
        case delete = "DELETE"
    }

    struct Response {
        var status: Int
        var body: [UInt8]
    }

    /// A request that got no HTTP response (no connection, timeout, TLS failure), with curl's reason.
    struct TransportFailure: Error {
        var reason: String
    }

    /// libcurl, opened once for the process (dlopen and `curl_global_init` are not to be raced), or why not.
    nonisolated(unsafe) private static let library: Result<UnsafeMutablePointer<tributary_curl_api>, TransportFailure> =
        {
            let api = UnsafeMutablePointer<tributary_curl_api>.allocate(capacity: 1)
            api.initialize(to: tributary_curl_api())
            var error = [CChar](repeating: 0, count: 512)
            guard tributary_curl_open(api, &error, error.count) == 0 else {
                let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                return .failure(TransportFailure(reason: "cannot load libcurl: \(reason) (install libcurl4)"))
            }
            return .success(api)
        }()

    private let api: UnsafeMutablePointer<tributary_curl_api>
    private let handle: UnsafeMutableRawPointer
    private let tls: SchemaRegistrySettings.TLS
    private let timeoutMilliseconds: Int

    init(tls: SchemaRegistrySettings.TLS, timeoutMilliseconds: Int) throws(TransportFailure) {
        api = try Self.library.get()
        guard let handle = api.pointee.easy_init() else { throw TransportFailure(reason: "curl_easy_init failed") }
        self.handle = handle
        self.tls = tls
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    deinit { api.pointee.easy_cleanup(handle) }

    /// Sends one request; `userInfo` is `user:password` for basic authentication.
    func send(
        _ method: Method, url: String, body: [UInt8]? = nil, headers: [String] = [], userInfo: String? = nil
    ) throws(TransportFailure) -> Response {
        api.pointee.easy_reset(handle)
        var headerList: UnsafeMutablePointer<curl_slist>?
        for header in headers { headerList = api.pointee.slist_append(headerList, header) }
        defer { api.pointee.slist_free_all(headerList) }
        let response = ResponseBuffer()
        let context = Unmanaged.passUnretained(response).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let body = body ?? []
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            body.withUnsafeBufferPointer { bodyBytes in
                tributary_curl_setopt_string(api, handle, CURLOPT_URL, url)
                tributary_curl_setopt_long(api, handle, CURLOPT_NOSIGNAL, 1)
                tributary_curl_setopt_long(api, handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
                tributary_curl_setopt_long(api, handle, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMilliseconds, 10_000))
                tributary_curl_setopt_pointer(api, handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                tributary_curl_setopt_pointer(api, handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
                tributary_curl_setopt_write(
                    api, handle,
                    { data, size, count, context in
                        let total = size * count
                        guard let data, let context, total > 0 else { return total }
                        let buffer = Unmanaged<ResponseBuffer>.fromOpaque(context).takeUnretainedValue()
                        data.withMemoryRebound(to: UInt8.self, capacity: total) {
                            buffer.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: total))
                        }
                        return total
                    })
                tributary_curl_setopt_pointer(api, handle, CURLOPT_WRITEDATA, context)
                switch method {
                case .get: tributary_curl_setopt_long(api, handle, CURLOPT_HTTPGET, 1)
                case .post, .put, .delete:
                    if method != .post {
                        tributary_curl_setopt_string(api, handle, CURLOPT_CUSTOMREQUEST, method.rawValue)
                    }
                    if method != .delete || !body.isEmpty {
                        tributary_curl_setopt_long(api, handle, CURLOPT_POSTFIELDSIZE, bodyBytes.count)
                        tributary_curl_setopt_pointer(
                            api, handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bodyBytes.baseAddress))
                    }
                }
                if let userInfo { tributary_curl_basic_auth(api, handle, userInfo) }
                if let ca = tls.caLocation { tributary_curl_setopt_string(api, handle, CURLOPT_CAINFO, ca) }
                if let certificate = tls.certificateLocation {
                    tributary_curl_setopt_string(api, handle, CURLOPT_SSLCERT, certificate)
                    tributary_curl_setopt_string(api, handle, CURLOPT_SSLKEY, tls.keyLocation ?? certificate)
                }
                if let password = tls.keyPassword {
                    tributary_curl_setopt_string(api, handle, CURLOPT_KEYPASSWD, password)
                }
                if !tls.verifyHostname { tributary_curl_setopt_long(api, handle, CURLOPT_SSL_VERIFYHOST, 0) }
                return api.pointee.easy_perform(handle)
            }
        }
        // Nothing may point into this call's buffers once it returns.
        tributary_curl_setopt_pointer(api, handle, CURLOPT_ERRORBUFFER, nil)
        tributary_curl_setopt_pointer(api, handle, CURLOPT_POSTFIELDS, nil)
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw TransportFailure(
                reason: detail.isEmpty
                    ? api.pointee.easy_strerror(code).map { String(cString: $0) } ?? "curl error \(code.rawValue)"
                    : detail)
        }
        var status = 0
        tributary_curl_response_code(api, handle, &status)
        return Response(status: status, body: response.bytes)
    }
}

/// Where libcurl's write callback puts a response body.
private final class ResponseBuffer {
    var bytes: [UInt8] = []
}
