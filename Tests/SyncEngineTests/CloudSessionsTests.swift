import CatalogDiff
import Foundation
import Logging
import NIOSSL
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

@Suite("Cloud sessions: clouds.yaml's TLS settings in a run")
struct CloudSessionsTests {
    @Test func tlsOptionsReachTheCloudsRequestsNotTheHTTPClient() throws {
        let path = try writeClouds(try cloudsYAML())
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sessions = try CloudSessions(
            locations: [.cloud(CloudLocation(name: "lab", region: nil))],
            token: nil,
            environment: ["OS_CLIENT_CONFIG_FILE": path],
            currentDirectory: "/nonexistent"
        )
        #expect(sessions.clouds["lab"]?.tls == CloudConfig.TLS(verify: false))
        #expect(sessions.clouds["lab"]?.tls.configuration?.certificateVerification == CertificateVerification.none)
        // The run's HTTP client verifies: only the lab cloud's requests carry verify: false.
        let configuration = sessions.configuration(.replicator, logger: Logger(label: "tls-test"))
        #expect(configuration.tlsConfiguration == nil)
        #expect(sessions.urlTLS == .system)
    }

    @Test func missingCACertIsAConfigurationError() throws {
        let path = try writeClouds(try cloudsYAML())
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ReplicatorError.self) {
            try CloudSessions(
                locations: [.cloud(CloudLocation(name: "by-id", region: nil))],
                token: nil,
                environment: ["OS_CLIENT_CONFIG_FILE": path],
                currentDirectory: "/nonexistent"
            )
        }
        #expect(error?.category == .usage)
        #expect(error?.message == "cacert /etc/ssl/private-ca.pem: no such readable file (cacert or OS_CACERT)")
    }
}

/// A clouds.yaml in the temporary directory, for the lookup through OS_CLIENT_CONFIG_FILE.
private func writeClouds(_ yaml: String) throws -> String {
    let path = ScratchDirectory.unusedURL("clouds").appendingPathExtension("yaml").path
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
