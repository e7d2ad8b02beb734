import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import NIOSSL
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

private let emptyListing = StagedResponse.json(#"{"images": [], "schema": "/v2/schemas/images"}"#)

/// TLS per endpoint, against an in-process https server whose certificates the test makes with openssl.
@Suite("TLS: CA bundles per endpoint, certificate failures in plain words")
struct TLSTests {
    let logger = Logger(label: "tls-test")

    private func certificates() throws -> TestCertificates {
        try TestCertificates.shared.get()
    }

    private func client(_ server: StagedGlance, http: HTTPClient, tls: CloudConfig.TLS) throws -> GlanceClient {
        GlanceClient(
            endpoint: try GlanceEndpoint(url: server.root),
            http: http,
            token: "staged-token",
            tls: tls,
            retry: RetryPolicy(attempts: 3, initialBackoff: .milliseconds(10), maximumBackoff: .seconds(1)),
            logger: logger
        )
    }

    @Test func selfSignedCertificateIsOneLineNamingTheCheckAndTheFix() async throws {
        let server = try await StagedGlance.start([emptyListing], tls: try certificates().serverContext("self-signed"))
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let error = await #expect(throws: ReplicatorError.self) {
                try await client(server, http: http, tls: .system).listImages()
            }
            #expect(error?.category == .fatal)
            #expect(
                error?.message
                    == "cannot verify the TLS certificate of \(server.root) (CN=staged-glance): self-signed certificate; "
                    + "give the CA bundle that signed it with --os-cacert FILE or OS_CACERT (cacert: in clouds.yaml for a cloud)"
            )
            // Not retried as a network error, and no HTTP request (no token) reached the server.
            #expect(server.requests.isEmpty)
            try await server.stop()
        }
    }

    @Test func unknownIssuerIsNamed() async throws {
        let server = try await StagedGlance.start([emptyListing], tls: try certificates().serverContext("signed"))
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let error = await #expect(throws: ReplicatorError.self) {
                try await client(server, http: http, tls: .system).listImages()
            }
            #expect(
                error?.message.hasPrefix(
                    "cannot verify the TLS certificate of \(server.root) (CN=signed, issued by CN=Staged Test CA): "
                        + "unable to get local issuer certificate; give the CA bundle"
                ) == true
            )
            try await server.stop()
        }
    }

    @Test func theNamedCABundleIsTrusted() async throws {
        let certificates = try certificates()
        let server = try await StagedGlance.start([emptyListing], tls: try certificates.serverContext("signed"))
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let images = try await client(server, http: http, tls: CloudConfig.TLS(caFile: certificates.caFile))
                .listImages()
            #expect(images.isEmpty)
            #expect(server.requests.first?.headers.first(name: "X-Auth-Token") == "staged-token")
            try await server.stop()
        }
    }

    @Test func aNameTheCertificateDoesNotHoldIsNamed() async throws {
        let certificates = try certificates()
        let server = try await StagedGlance.start([emptyListing], tls: try certificates.serverContext("wrong-name"))
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let error = await #expect(throws: ReplicatorError.self) {
                try await client(server, http: http, tls: CloudConfig.TLS(caFile: certificates.caFile)).listImages()
            }
            #expect(
                error?.message
                    == "cannot verify the TLS certificate of \(server.root) (CN=wrong-name, issued by CN=Staged Test CA): "
                    + "IP address mismatch; it does not name 127.0.0.1: connect by a name the certificate holds"
            )
            #expect(server.requests.isEmpty)
            try await server.stop()
        }
    }

    /// One HTTP client, two endpoints' settings: a connection opened without verification for one side is
    /// never reused for a side that verifies.
    @Test func oneSideWithoutVerificationDoesNotLeakToAnother() async throws {
        let server = try await StagedGlance.start([emptyListing], tls: try certificates().serverContext("self-signed"))
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let insecure = try await client(server, http: http, tls: CloudConfig.TLS(verify: false)).listImages()
            #expect(insecure.isEmpty)
            let error = await #expect(throws: ReplicatorError.self) {
                try await client(server, http: http, tls: .system).listImages()
            }
            #expect(error?.message.contains("self-signed certificate") == true)
            try await server.stop()
        }
    }

    /// A cloud's `verify: false` applies to that cloud only: bare https:// endpoints of the same run get
    /// OS_CACERT or the system CAs.
    @Test func aCloudsTLSSettingsStayWithTheCloud() throws {
        let certificates = try certificates()
        let path = ScratchDirectory.unusedURL("clouds").appendingPathExtension("yaml")
            .path
        try """
        clouds:
          lab:
            auth: {auth_url: "https://127.0.0.1:1/v3", username: u, password: p, project_name: x}
            verify: false
          private-ca:
            auth: {auth_url: "https://127.0.0.1:2/v3", username: u, password: p, project_name: x}
            verify: \(certificates.caFile)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sessions = try CloudSessions(
            locations: [
                .cloud(CloudLocation(name: "lab", region: nil)), .cloud(CloudLocation(name: "private-ca", region: nil)),
                try ImageLocation(parsing: "https://127.0.0.1:3"),
            ],
            token: nil,
            environment: ["OS_CLIENT_CONFIG_FILE": path],
            currentDirectory: "/nonexistent"
        )
        // Two clouds with different settings in one run (once refused), each keeping its own.
        #expect(sessions.clouds["lab"]?.tls == CloudConfig.TLS(verify: false))
        #expect(sessions.clouds["private-ca"]?.tls == CloudConfig.TLS(caFile: certificates.caFile))
        #expect(sessions.urlTLS == .system)
        #expect(sessions.urlTLS.configuration == nil)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .replicator)
        defer { try? http.syncShutdown() }
        #expect(sessions.providers(http: http, logger: logger).urlTLS == .system)
        // OS_CACERT names the bundle of the bare endpoints.
        let withCA = try CloudSessions(
            locations: [try ImageLocation(parsing: "https://127.0.0.1:3")],
            token: nil,
            environment: ["OS_CACERT": certificates.caFile]
        )
        #expect(withCA.urlTLS == CloudConfig.TLS(caFile: certificates.caFile))
    }

    @Test func aMissingOSCACERTIsAUsageError() throws {
        let error = #expect(throws: ReplicatorError.self) {
            try CloudSessions(
                locations: [try ImageLocation(parsing: "https://127.0.0.1:3")],
                token: nil,
                environment: ["OS_CACERT": "/nonexistent/ca.pem"]
            )
        }
        #expect(error?.category == .usage)
        #expect(error?.message == "cacert /nonexistent/ca.pem: no such readable file (--os-cacert or OS_CACERT)")
    }

    @Test func aTLSHandshakeWithAPlainHTTPServerIsNamedWithoutTheLibrarysText() async throws {
        let server = try await StagedGlance.start([emptyListing])
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let endpoint = try GlanceEndpoint(url: "https://127.0.0.1:\(server.port)")
            let client = GlanceClient(
                endpoint: endpoint,
                http: http,
                token: nil,
                retry: RetryPolicy(attempts: 1, initialBackoff: .milliseconds(10), maximumBackoff: .seconds(1)),
                logger: logger
            )
            let error = await #expect(throws: ReplicatorError.self) { try await client.listImages() }
            #expect(
                error?.message.hasPrefix("cannot reach https://127.0.0.1:\(server.port): the TLS handshake failed:")
                    == true
            )
            #expect(error?.message.contains("OPENSSL_internal") == false)
            #expect(error?.message.contains(".cc:") == false)
            try await server.stop()
        }
    }
}
