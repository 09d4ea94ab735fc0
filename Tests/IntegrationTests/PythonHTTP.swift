import Foundation

/// HTTP requests for the tests, through Python's urllib: not URLSession, whose libcurl handles outlive a test
/// and show up as leaks under the address sanitizer.
enum PythonHTTP {
    /// The status and body of one request; an HTTP error status is an answer, not a failure.
    static func request(
        _ method: String, _ url: String, body: Data? = nil, user: String? = nil,
        contentType: String = "application/vnd.schemaregistry.v1+json"
    ) throws -> (status: Int, body: Data) {
        let script = """
            import base64, sys, urllib.request, urllib.error
            method, url, user, content_type = sys.argv[1:5]
            data = sys.stdin.buffer.read() or None
            request = urllib.request.Request(url, data=data, method=method)
            request.add_header("Content-Type", content_type)
            if user:
                request.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
            try:
                response = urllib.request.urlopen(request, timeout=10); code, body = response.status, response.read()
            except urllib.error.HTTPError as e:
                code, body = e.code, e.read()
            sys.stdout.buffer.write(str(code).encode() + b"\\n" + body)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, method, url, user ?? "", contentType]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        if let body { input.fileHandleForWriting.write(body) }
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let newline = data.firstIndex(of: UInt8(ascii: "\n")) else {
            throw IntegrationFailure("\(method) \(url) failed")
        }
        let status = Int(String(decoding: data[..<newline], as: UTF8.self)) ?? 0
        return (status, Data(data[data.index(after: newline)...]))
    }
}
