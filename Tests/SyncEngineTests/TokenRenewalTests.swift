import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOHTTP1
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

/// A real Keystone 30 token body re-dated to now (life `seconds`), whose image endpoints point at `glance`.
private func tokenBody(glance: String, life seconds: TimeInterval = 3600) throws -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let now = Date()
    return try String(decoding: keystoneFixture("password-token.json"), as: UTF8.self)
        .replacingOccurrences(of: "http://127.0.0.1:9292", with: glance)
        .replacingOccurrences(of: "2026-11-25T19:39:23.000000Z", with: formatter.string(from: now))
        .replacingOccurrences(of: "2026-11-25T20:39:23.000000Z", with: formatter.string(from: now + seconds))
}

/// Keystone's 201 for a new token (`withCloud` points its region-a image endpoint at the staged Glance).
private func issued(_ subject: String) throws -> StagedResponse {
    StagedResponse(
        .created,
        headers: ["Content-Type": "application/json", "X-Subject-Token": subject],
        body: try tokenBody(glance: "http://127.0.0.1:9292")
    )
}

private let emptyListing = StagedResponse.json(#"{"images": [], "schema": "/v2/schemas/images"}"#)

/// A clouds.yaml naming the staged Keystone, found through OS_CLIENT_CONFIG_FILE as an operator's would be.
private func cloudsFile(keystone: StagedGlance) throws -> String {
    let path = ScratchDirectory.unusedURL("clouds").appendingPathExtension("yaml").path
    let yaml = """
        clouds:
          staged:
            auth:
              auth_url: \(keystone.root)/v3
              username: replicator
              password: staged-s3cret
              project_name: demo
              user_domain_name: Default
              project_domain_name: Default
            regions: [region-a, region-b]
        """
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("Keystone tokens: shared, renewed before expiry and once after a 401")
struct TokenRenewalTests {
    let logger = Logger(label: "token-renewal-test")

    /// Resolves `locations` through clouds.yaml and runs `body` with their endpoints.
    private func withCloud(
        keystone: [StagedResponse],
        glance: [StagedResponse],
        _ body: ([CatalogEndpoint], StagedGlance, StagedGlance) async throws -> Void
    ) async throws {
        let glanceServer = try await StagedGlance.start(glance)
        let keystoneServer = try await StagedGlance.start(
            keystone.map { response in
                var response = response
                response.body = response.body.replacingOccurrences(of: "http://127.0.0.1:9292", with: glanceServer.root)
                return response
            }
        )
        let path = try cloudsFile(keystone: keystoneServer)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .replicator)
        do {
            let sessions = try CloudSessions(
                locations: [.cloud(CloudLocation(name: "staged", region: "region-a"))],
                token: nil,
                environment: ["OS_CLIENT_CONFIG_FILE": path, "HOME": "/nonexistent"],
                currentDirectory: "/nonexistent"
            )
            let providers = sessions.providers(http: http, logger: logger)
            var endpoints: [CatalogEndpoint] = []
            for region in ["region-a", "region-a"] {
                endpoints.append(
                    try await CatalogEndpoint.resolve(
                        .cloud(CloudLocation(name: "staged", region: region)),
                        http: http,
                        tokens: providers,
                        logger: logger
                    )
                )
            }
            try await body(endpoints, keystoneServer, glanceServer)
        } catch {
            try? await http.shutdown()
            try? await glanceServer.stop()
            try? await keystoneServer.stop()
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        try await http.shutdown()
        try await glanceServer.stop()
        try await keystoneServer.stop()
        try? FileManager.default.removeItem(atPath: path)
    }

    @Test func glance401IsAnsweredWithOneNewToken() async throws {
        let keystone = [try issued("tok-1"), try issued("tok-2")]
        let refused = StagedResponse.json(#"{"error": {"code": 401, "message": "expired"}}"#, status: .unauthorized)
        try await withCloud(keystone: keystone, glance: [refused, emptyListing]) { endpoints, keystone, glance in
            #expect(endpoints[0].name == glance.root)
            let images = try await endpoints[0].listImages()
            #expect(images.isEmpty)
            let requests = glance.requests
            // The refused request is sent again with the new token; the listing's second pass keeps it.
            #expect(requests.map { $0.headers.first(name: "X-Auth-Token") } == ["tok-1", "tok-2", "tok-2"])
            // Both locations of the cloud were resolved with the first token: one authentication, then one renewal.
            #expect(keystone.requests.count == 2)
            #expect(keystone.requests.allSatisfy { $0.path == "/v3/auth/tokens" && $0.method == .POST })
        }
    }

    @Test func secondRefusalIsFatal() async throws {
        let keystone = [try issued("tok-1"), try issued("tok-2")]
        let refused = StagedResponse.json(#"{"error": {"code": 401, "message": "nope"}}"#, status: .unauthorized)
        try await withCloud(keystone: keystone, glance: [refused]) { endpoints, _, glance in
            let error = await #expect(throws: ReplicatorError.self) { try await endpoints[0].listImages() }
            #expect(error?.category == .fatal)
            #expect(error?.status == 401)
            #expect(glance.requests.count == 2)
        }
    }

    @Test func wrongPasswordIsOneFatalLineWithoutTheSecret() async throws {
        let refused = StagedResponse.json(
            String(decoding: try keystoneFixture("bad-password.json"), as: UTF8.self),
            status: .unauthorized
        )
        let error = await #expect(throws: ReplicatorError.self) {
            try await withCloud(keystone: [refused], glance: [emptyListing]) { _, _, _ in }
        }
        #expect(error?.category == .fatal)
        #expect(error?.message.contains("refused the credentials of cloud staged (HTTP 401)") == true)
        #expect(error?.message.contains("staged-s3cret") == false)
        #expect(error?.message.contains("\n") == false)
    }

    @Test func tokenIsRenewedBeforeItExpires() async throws {
        let now = NIOLockedValueBox(Date(timeIntervalSince1970: 1_000_000))
        let count = NIOLockedValueBox(0)
        let provider = TokenProvider(
            issue: {
                let number = count.withLockedValue {
                    $0 += 1
                    return $0
                }
                let issued = now.withLockedValue { $0 }
                return KeystoneToken(value: "tok-\(number)", issuedAt: issued, expiresAt: issued + 120)
            },
            clock: { now.withLockedValue { $0 } },
            logger: logger
        )
        #expect(try await provider.token() == "tok-1")
        now.withLockedValue { $0 += 85 }  // 35 s left: more than a quarter of 120 s
        #expect(try await provider.token() == "tok-1")
        now.withLockedValue { $0 += 10 }  // 25 s left: renewed
        #expect(try await provider.token() == "tok-2")
        #expect(await provider.issued == 2)
    }

    @Test func concurrentRequestsShareOneRenewal() async throws {
        let count = NIOLockedValueBox(0)
        let provider = TokenProvider(
            issue: {
                try await Task.sleep(for: .milliseconds(50))
                let number = count.withLockedValue {
                    $0 += 1
                    return $0
                }
                return KeystoneToken(value: "tok-\(number)", issuedAt: Date(), expiresAt: Date() + 3600)
            },
            logger: logger
        )
        let tokens = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<16 { group.addTask { try await provider.token() } }
            return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
        }
        #expect(tokens == ["tok-1"])
        // A stale 401 (for a token already replaced) does not renew again.
        await provider.rejected("tok-0")
        #expect(try await provider.token() == "tok-1")
        await provider.rejected("tok-1")
        #expect(try await provider.token() == "tok-2")
    }

    @Test func fixedTokenIsNeverRenewed() async throws {
        let provider = TokenProvider(fixed: "operator-token")
        #expect(!provider.renews)
        await provider.rejected("operator-token")
        #expect(try await provider.token() == "operator-token")
    }
}
