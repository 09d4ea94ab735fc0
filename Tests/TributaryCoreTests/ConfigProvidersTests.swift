import Foundation
import XCTest

@testable import TributaryCore

/// `${provider:[path:]key}` variables resolved from the worker's `config.providers`.
final class ConfigProvidersTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("providers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "db.password=s3cr=t\nuser = alice\n".write(
            to: directory.appendingPathComponent("secrets.properties"), atomically: true, encoding: .utf8)
        try "from-a-file".write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private let worker = Config([
        "config.providers": "file,env,dir",
        "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
        "config.providers.env.class": "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        "config.providers.dir.class": "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
    ])

    func testFileEnvironmentAndDirectoryVariables() throws {
        setenv("TRIBUTARY_TEST_HOST", "db.example", 1)
        defer { unsetenv("TRIBUTARY_TEST_HOST") }
        let secrets = directory.appendingPathComponent("secrets.properties").path
        let connector = Config([
            "database.password": "${file:\(secrets):db.password}",
            "database.user": "${file:\(secrets):user}",
            "database.hostname": "${env:TRIBUTARY_TEST_HOST}",
            "token": "x-${dir:\(directory.path):token}-y",
            "untouched": "${vault:a:b} and ${not a variable",
        ])
        let resolved = try ConfigProviders(worker).resolve(connector)
        XCTAssertEqual(resolved["database.password"], "s3cr=t")
        XCTAssertEqual(resolved["database.user"], "alice")
        XCTAssertEqual(resolved["database.hostname"], "db.example")
        XCTAssertEqual(resolved["token"], "x-from-a-file-y")
        XCTAssertEqual(resolved["untouched"], "${vault:a:b} and ${not a variable", "unknown providers stay")
        XCTAssertFalse(resolved.description.contains("s3cr"), "secrets stay masked in logs")
    }

    func testUnresolvableVariablesNameTheSetting() throws {
        let providers = try ConfigProviders(worker)
        for (value, reason) in [
            ("${file:\(directory.path)/secrets.properties:nope}", "no key nope"),
            ("${file:/no/such/file:key}", "cannot be read"), ("${env:TRIBUTARY_NO_SUCH_VARIABLE}", "no environment"),
            ("${dir:\(directory.path):missing}", "no readable file"),
        ] {
            XCTAssertThrowsError(try providers.resolve(Config(["database.password": value]))) { error in
                XCTAssertEqual((error as? ConfigError)?.key, "database.password")
                XCTAssertTrue("\(error)".contains(reason), "\(error)")
            }
        }
        XCTAssertThrowsError(
            try ConfigProviders(Config(["config.providers": "x", "config.providers.x.class": "com.example.Vault"]))
        ) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "config.providers.x.class")
        }
    }
}
