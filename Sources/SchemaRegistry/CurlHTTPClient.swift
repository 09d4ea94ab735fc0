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

    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    private let handle: UnsafeMutableRawPointer
    private let tls: SchemaRegistrySettings.TLS
    private let timeoutMilliseconds: Int

    init(tls: SchemaRegistrySettings.TLS, timeoutMilliseconds: Int) {
        Self.globalInit
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.handle = handle
        self.tls = tls
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    deinit { curl_easy_cleanup(handle) }

    /// Sends one request; `userInfo` is `user:password` for basic authentication.
    func send(
        _ method: Method, url: String, body: [UInt8]? = nil, headers: [String] = [], userInfo: String? = nil
    ) throws(TransportFailure) -> Response {
        curl_easy_reset(handle)
        var headerList: UnsafeMutablePointer<curl_slist>?
        for header in headers { headerList = curl_slist_append(headerList, header) }
        defer { curl_slist_free_all(headerList) }
        let response = ResponseBuffer()
        let context = Unmanaged.passUnretained(response).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let body = body ?? []
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            body.withUnsafeBufferPointer { bodyBytes in
                tributary_curl_setopt_string(handle, CURLOPT_URL, url)
                tributary_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                tributary_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
                tributary_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMilliseconds, 10_000))
                tributary_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                tributary_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
                tributary_curl_setopt_write(
                    handle,
                    { data, size, count, context in
                        let total = size * count
                        guard let data, let context, total > 0 else { return total }
                        let buffer = Unmanaged<ResponseBuffer>.fromOpaque(context).takeUnretainedValue()
                        data.withMemoryRebound(to: UInt8.self, capacity: total) {
                            buffer.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: total))
                        }
                        return total
                    })
                tributary_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
                switch method {
                case .get: tributary_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
                case .post, .put, .delete:
                    if method != .post { tributary_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method.rawValue) }
                    if method != .delete || !body.isEmpty {
                        tributary_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, bodyBytes.count)
                        tributary_curl_setopt_pointer(
                            handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bodyBytes.baseAddress))
                    }
                }
                if let userInfo { tributary_curl_basic_auth(handle, userInfo) }
                if let ca = tls.caLocation { tributary_curl_setopt_string(handle, CURLOPT_CAINFO, ca) }
                if let certificate = tls.certificateLocation {
                    tributary_curl_setopt_string(handle, CURLOPT_SSLCERT, certificate)
                    tributary_curl_setopt_string(handle, CURLOPT_SSLKEY, tls.keyLocation ?? certificate)
                }
                if let password = tls.keyPassword { tributary_curl_setopt_string(handle, CURLOPT_KEYPASSWD, password) }
                if !tls.verifyHostname { tributary_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0) }
                return curl_easy_perform(handle)
            }
        }
        // Nothing may point into this call's buffers once it returns.
        tributary_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, nil)
        tributary_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil)
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw TransportFailure(reason: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        var status = 0
        tributary_curl_response_code(handle, &status)
        return Response(status: status, body: response.bytes)
    }
}

/// Where libcurl's write callback puts a response body.
private final class ResponseBuffer {
    var bytes: [UInt8] = []
}
