import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import NIOHTTP1
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

/// Redirects are never followed: a Glance or a Keystone answering 30x to a second listener must not make the
/// tool send that listener anything (the token, the password, the request itself).
@Suite("Redirects are refused, never followed")
struct RedirectTests {
    let logger = Logger(label: "redirect-test")

    static let statuses: [HTTPResponseStatus] = [
        .movedPermanently, .found, .seeOther, .temporaryRedirect, .permanentRedirect,
    ]

    /// A staged endpoint whose every answer redirects to `elsewhere` (a second staged listener).
    private func redirecting(
        _ status: HTTPResponseStatus,
        to elsewhere: StagedGlance,
        path: String
    ) async throws -> StagedGlance {
        try await StagedGlance.start([StagedResponse(status, headers: ["Location": "\(elsewhere.root)\(path)"])])
    }

    /// The redirecting server was asked once; the server its Location names never saw a connection's request
    /// (given a moment, in case a follow-up were on its way). Both are stopped.
    private func expectOneRequest(to server: StagedGlance, noneTo elsewhere: StagedGlance) async throws {
        #expect(server.requests.count == 1)
        try await Task.sleep(for: .milliseconds(100))
        #expect(elsewhere.requests.isEmpty)
        try await server.stop()
        try await elsewhere.stop()
    }

    /// A client of the staged server with a token that must never reach another host.
    private func glanceClient(_ server: StagedGlance, http: HTTPClient) throws -> GlanceClient {
        GlanceClient(endpoint: try GlanceEndpoint(url: server.root), http: http, token: "secret-token", logger: logger)
    }

    @Test(arguments: statuses)
    func glanceListingRedirectIsAnErrorNamingTheLocation(status: HTTPResponseStatus) async throws {
        let elsewhere = try await StagedGlance.start([.json(#"{"images": []}"#)])
        let glance = try await redirecting(status, to: elsewhere, path: "/v2/images")
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let client = try glanceClient(glance, http: http)
            let error = await #expect(throws: ReplicatorError.self) { try await client.listImages() }
            #expect(error?.category == .fatal)
            #expect(error?.isTransient == false)
            #expect(error?.status == Int(status.code))
            #expect(
                error?.message.hasPrefix(
                    "GET /v2/images on \(glance.root) answered HTTP \(status.code), redirecting to \(elsewhere.root)/v2/images;"
                ) == true
            )
            #expect(error?.message.contains("redirects are not followed") == true)
            // Asked once (not retried), and the other listener saw nothing at all: no token left the endpoint.
            try await expectOneRequest(to: glance, noneTo: elsewhere)
        }
    }

    @Test func imageDataRedirectIsRefused() async throws {
        let elsewhere = try await StagedGlance.start([StagedResponse(.ok, body: "stolen")])
        let id = "11111111-1111-4111-8111-111111111111"
        let glance = try await redirecting(.found, to: elsewhere, path: "/v2/images/\(id)/file")
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let client = try glanceClient(glance, http: http)
            let error = await #expect(throws: ReplicatorError.self) {
                _ = try await client.openDownload(id, from: nil, size: 6)
            }
            #expect(error?.message.contains("GET /v2/images/\(id)/file on \(glance.root) answered HTTP 302") == true)
            try await expectOneRequest(to: glance, noneTo: elsewhere)
        }
    }

    /// Glance answers `GET /versions` with 300 Multiple Choices (a document, not a redirect): still read.
    @Test func glancesVersionsDocumentIsNotARedirect() async throws {
        let versions = StagedResponse.json(
            #"{"versions": [{"id": "v2.16", "status": "CURRENT", "links": []}]}"#,
            status: .multipleChoices
        )
        let glance = try await StagedGlance.start([versions])
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let client = try glanceClient(glance, http: http)
            #expect(await client.apiVersion() != nil)
            #expect(glance.requests.map(\.path) == ["/versions"])
        }
        try await glance.stop()
    }

    /// A Location with control characters is shown escaped, never raw on the operator's terminal (a real
    /// HTTP parser refuses such a header, so the error value is checked directly).
    @Test func locationIsShownEscaped() {
        let error = ReplicatorError.redirectRefused(
            "http://127.0.0.1:9292",
            request: "GET /v2/images",
            status: 302,
            location: "http://x/\u{1b}]0;pwned\u{7}\u{202e}"
        )
        #expect(!error.message.unicodeScalars.contains { $0.properties.generalCategory == .control })
        #expect(error.message.contains(#"redirecting to http://x/\u{1b}]0;pwned\u{7}\u{202e};"#))
    }

    @Test(arguments: [HTTPResponseStatus.temporaryRedirect, .permanentRedirect, .found])
    func keystoneRedirectDoesNotPostThePasswordAgain(status: HTTPResponseStatus) async throws {
        let elsewhere = try await StagedGlance.start([StagedResponse(.created)])
        let keystone = try await redirecting(status, to: elsewhere, path: "/v3/auth/tokens")
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let cloud = CloudConfig(
                name: "staged",
                authURL: keystone.root + "/v3",
                auth: .password(
                    user: .init(name: "replicator", domainName: "Default"),
                    password: "staged-s3cret",
                    project: .init(name: "demo", domainName: "Default")
                )
            )
            let error = await #expect(throws: ReplicatorError.self) {
                _ = try await KeystoneClient(cloud: cloud, http: http, logger: logger).issueToken()
            }
            #expect(error?.category == .fatal)
            #expect(
                error?.message.hasPrefix(
                    "POST /auth/tokens on \(keystone.root)/v3 answered HTTP \(status.code), redirecting to \(elsewhere.root)"
                ) == true
            )
            #expect(error?.message.contains("staged-s3cret") == false)
            try await expectOneRequest(to: keystone, noneTo: elsewhere)
        }
    }
}
