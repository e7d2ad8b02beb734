import AsyncHTTPClient
import CatalogDiff
import Logging
import NIOCore
import NIOHTTP1
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

/// Image JSON as Glance 33 lists it.
private func imageJSON(_ id: String, name: String, createdAt: String = "2026-11-25T22:04:41Z") -> String {
    """
    {"name": "\(name)", "disk_format": "raw", "container_format": "bare", "visibility": "public", \
    "size": 1000, "virtual_size": 1000, "status": "active", "checksum": "5c8b1bc1e2f8e20533a42628621e35a3", \
    "protected": false, "min_ram": 0, "min_disk": 0, "owner": "admin", "os_hidden": false, \
    "os_hash_algo": "sha512", "os_hash_value": "\(String(repeating: "ab", count: 64))", "id": "\(id)", \
    "created_at": "\(createdAt)", "updated_at": "\(createdAt)", "tags": [], "os_distro": "cirros", \
    "self": "/v2/images/\(id)", "file": "/v2/images/\(id)/file", "schema": "/v2/schemas/image"}
    """
}

private func listingJSON(_ images: [String], next: String? = nil) -> String {
    let nextField = next.map { #", "next": "\#($0)""# } ?? ""
    return #"{"images": [\#(images.joined(separator: ", "))], "schema": "/v2/schemas/images"\#(nextField)}"#
}

private let firstID = "11111111-1111-4111-8111-111111111111"
private let secondID = "22222222-2222-4222-8222-222222222222"

/// Runs `body` with a client of the staged server; the client and the server are shut down however it ends.
/// The HTTP client has the configuration a real run uses (HTTP/1.1 only, no connection-establishment retries).
func withStagedGlance(
    _ responses: [StagedResponse],
    token: String? = "staged-token",
    attempts: Int = 3,
    _ body: (GlanceClient, StagedGlance) async throws -> Void
) async throws {
    let server = try await StagedGlance.start(responses)
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .replicator)
    do {
        let location = try ImageLocation(parsing: "127.0.0.1:\(server.port)")
        guard case .glance(let endpoint) = location else { throw ReplicatorError.invalidOption("not Glance") }
        let client = GlanceClient(
            endpoint: endpoint,
            http: http,
            token: token,
            retry: RetryPolicy(attempts: attempts, initialBackoff: .milliseconds(10), maximumBackoff: .seconds(2)),
            logger: Logger(label: "staged-glance-test")
        )
        try await body(client, server)
    } catch {
        try await http.shutdown()
        try await server.stop()
        throw error
    }
    try await http.shutdown()
    try await server.stop()
}

@Suite("GlanceClient against a staged server")
struct StagedServerTests {
    @Test func a503IsRetriedAfterItsRetryAfter() async throws {
        let unavailable = StagedResponse(
            .serviceUnavailable,
            headers: ["Retry-After": "1", "Content-Type": "application/json"],
            body: #"{"message": "The server is currently unavailable.<br /><br />", "code": "503"}"#
        )
        let page = StagedResponse.json(listingJSON([imageJSON(firstID, name: "cirros")]))
        try await withStagedGlance([unavailable, page]) { client, server in
            let clock = ContinuousClock()
            let started = clock.now
            let images = try await client.listImages()
            let elapsed = clock.now - started

            let image = try #require(images.first)
            #expect(images.count == 1)  // listed by both passes, kept once
            #expect(image.id == firstID)
            #expect(image.name == "cirros")
            #expect(image.size == 1000)
            #expect(image.properties == ["os_distro": "cirros"])

            let requests = server.requests
            // The 503, its retry, then the os_hidden pass.
            #expect(requests.count == 3)
            #expect(requests.allSatisfy { $0.method == .GET && $0.path == "/v2/images" })
            #expect(requests[0].uri == requests[1].uri)
            #expect(requests[0].query["os_hidden"] == nil)
            #expect(requests[2].query["os_hidden"] == "true")
            #expect(requests.allSatisfy { $0.query["visibility"] == "all" && $0.query["limit"] == "1000" })
            #expect(requests.allSatisfy { $0.headers["X-Auth-Token"] == ["staged-token"] })
            #expect(requests.allSatisfy { $0.headers["Accept"] == ["application/json"] })
            // Retry-After: 1 was honoured instead of the 10 ms backoff.
            #expect(elapsed >= .milliseconds(950))
        }
    }

    @Test func malformedJSONIsFatal() async throws {
        try await withStagedGlance([.json(#"{"images": [{"id": "x", "#)]) { client, server in
            let error = await #expect(throws: ReplicatorError.self) { try await client.listImages() }
            #expect(error?.category == .fatal)
            #expect(error?.message.contains("unusable response") == true)
            #expect(error?.message.contains("GET /v2/images on \(server.root)") == true)
            #expect(error?.isTransient == false)
            #expect(server.requests.count == 1)
        }
    }

    @Test func aListingWithoutImagesIsMalformed() async throws {
        try await withStagedGlance([.json(#"{"schema": "/v2/schemas/images"}"#)]) { client, server in
            let error = await #expect(throws: ReplicatorError.self) { try await client.listImages() }
            #expect(error?.category == .fatal)
            #expect(error?.message.contains("unusable response: no 'images'") == true)
            #expect(server.requests.count == 1)
        }
    }

    @Test func unauthorizedIsFatalAndNotRetried() async throws {
        let refused = StagedResponse(
            .unauthorized,
            headers: ["Content-Type": "application/json"],
            body: #"{"message": "This server could not verify that you are authorized to access the document "#
                + #"you requested.<br /><br />\n\n\n", "code": "401 Unauthorized", "title": "Unauthorized"}"#
        )
        try await withStagedGlance([refused], token: "expired") { client, server in
            let error = await #expect(throws: ReplicatorError.self) { try await client.listImages() }
            #expect(error?.category == .fatal)
            #expect(error?.status == 401)
            #expect(error?.message.contains("HTTP 401") == true)
            #expect(error?.message.contains("could not verify that you are authorized") == true)
            #expect(error?.message.contains("<br") == false)
            #expect(error?.message.contains("OS_AUTH_TOKEN") == true)
            #expect(server.requests.count == 1)
        }
    }

    @Test func persistent5xxGivesUpAfterTheLastAttempt() async throws {
        let failing = StagedResponse(.internalServerError, body: "boom")
        try await withStagedGlance([failing], attempts: 3) { client, server in
            let error = await #expect(throws: ReplicatorError.self) { try await client.listImages() }
            #expect(error?.status == 500)
            #expect(error?.category == .fatal)
            // The query is left out of the message.
            #expect(error?.message == "GET /v2/images on \(server.root) answered HTTP 500: boom")
            #expect(server.requests.count == 3)
        }
    }

    @Test func pagesAreFollowedByMarker() async throws {
        let first = StagedResponse.json(
            listingJSON(
                [imageJSON(firstID, name: "one")],
                next: "/v2/images?visibility=all&limit=1000&marker=\(firstID)"
            )
        )
        let second = StagedResponse.json(listingJSON([imageJSON(secondID, name: "two")]))
        let hidden = StagedResponse.json(listingJSON([]))
        try await withStagedGlance([first, second, hidden]) { client, server in
            let images = try await client.listImages()
            #expect(images.map(\.id) == [firstID, secondID])
            let requests = server.requests
            #expect(requests.count == 3)
            #expect(requests.map { $0.query["marker"] } == [nil, firstID, nil])
            #expect(requests.map { $0.query["os_hidden"] } == [nil, nil, "true"])
        }
    }

    @Test func missingImagesAreNotErrors() async throws {
        let notFound = StagedResponse.json(
            #"{"message": "Image with identifier 0000 not found<br /><br />\n\n\n", "code": "404 Not Found", "#
                + #""title": "Not Found"}"#,
            status: .notFound
        )
        try await withStagedGlance([notFound]) { client, server in
            #expect(try await client.image("0000") == nil)
            try await client.deleteImage("0000")
            #expect(server.requests.map(\.method) == [.GET, .DELETE])
            #expect(server.requests.map(\.uri) == ["/v2/images/0000", "/v2/images/0000"])
        }
    }

    @Test func aConflictCarriesItsStatusAndGlancesMessage() async throws {
        let conflict = StagedResponse(
            .conflict,
            headers: ["Content-Type": "text/html; charset=UTF-8"],
            body: "<html>\n <head>\n  <title>409 Conflict</title>\n </head>\n <body>\n  <h1>409 Conflict</h1>\n"
                + "  Image ID 1 already exists!<br /><br />\n\n\n\n </body>\n</html>"
        )
        try await withStagedGlance([conflict]) { client, server in
            let error = await #expect(throws: ReplicatorError.self) {
                try await client.createImage(["id": .string("1"), "name": .string("x")])
            }
            #expect(error?.status == 409)
            #expect(error?.isTransient == false)
            #expect(error?.message.contains("POST /v2/images on \(server.root) answered HTTP 409") == true)
            #expect(error?.message.hasSuffix("Image ID 1 already exists!") == true)
            let request = try #require(server.requests.first)
            #expect(request.headers["Content-Type"] == ["application/json"])
            #expect(request.bodyBytes > 0)
            #expect(server.requests.count == 1)
        }
    }

    @Test func aDownloadOfTheWrongLengthIsRefused() async throws {
        let data = StagedResponse(.ok, headers: ["Content-Type": "application/octet-stream"], body: "abc")
        try await withStagedGlance([data]) { client, _ in
            let error = await #expect(throws: ReplicatorError.self) {
                _ = try await client.openDownload(firstID, from: nil, size: 1000)
            }
            #expect(error?.category == .image)
            #expect(error?.message.contains("offers 3 bytes") == true)
        }
    }

    @Test func aRangedDownloadAsksForTheRest() async throws {
        let rest = StagedResponse(.partialContent, headers: ["Content-Range": "bytes 1-2/3"], body: "bc")
        try await withStagedGlance([rest]) { client, server in
            let response = try await client.openDownload(firstID, from: 1, size: 3)
            #expect(response.status == 206)
            let body = try await response.body.collect(upTo: 1024)
            #expect(String(buffer: body) == "bc")
            #expect(server.requests.first?.headers["Range"] == ["bytes=1-"])
        }
    }

    @Test func aPartialAnswerToAPlainDownloadIsRefused() async throws {
        let rest = StagedResponse(.partialContent, headers: ["Content-Range": "bytes 1-2/3"], body: "bc")
        try await withStagedGlance([rest]) { client, _ in
            let error = await #expect(throws: ReplicatorError.self) {
                _ = try await client.openDownload(firstID, from: nil, size: 3)
            }
            #expect(error?.status == 206)
        }
    }

    @Test func aVerifiedDownloadStreamsThrough() async throws {
        let data = StagedResponse(.ok, headers: ["Content-Type": "application/octet-stream"], body: "abc")
        try await withStagedGlance([data]) { client, server in
            let body = try await client.openDownload(firstID, from: nil, size: 3).body
            let verified = VerifyingByteStream(
                base: body,
                expected: ExpectedData(
                    size: 3,
                    md5: "900150983cd24fb0d6963f7d28e17f72",
                    hashAlgorithm: nil,
                    hashValue: nil
                ),
                source: server.root,
                onChunk: { _ in }
            )
            var received: [UInt8] = []
            for try await chunk in verified { received += chunk.readableBytesView }
            #expect(received == Array("abc".utf8))
            #expect(server.requests.first?.uri == "/v2/images/\(firstID)/file")
        }
    }

    /// The promise of `VerifyingByteStream`: a corrupt copy never completes its upload, so Glance never
    /// activates it.
    @Test func aCorruptUploadNeverCompletes() async throws {
        let bytes = [UInt8](repeating: 0x5a, count: 64 * 1024)
        let chunks = ChunkSequence(bytes, chunkSize: 8 * 1024)
        let corrupt = ExpectedData(
            size: Int64(bytes.count),
            md5: String(repeating: "0", count: 32),
            hashAlgorithm: nil,
            hashValue: nil
        )
        try await withStagedGlance([StagedResponse(.noContent)]) { client, server in
            let stream = VerifyingByteStream(
                base: chunks,
                expected: corrupt,
                source: "http://source",
                onChunk: { _ in }
            )
            let error = await #expect(throws: (any Error).self) {
                try await client.upload(firstID, stream, size: Int64(bytes.count))
            }
            let replicatorError = try #require(error as? ReplicatorError)
            #expect(replicatorError.category == .image)
            #expect(replicatorError.message.contains("md5 of the data read"))
            let upload = try #require(try await server.requests(atLeast: 1).first)
            #expect(upload.method == .PUT)
            #expect(!upload.complete)
            #expect(upload.bodyBytes < bytes.count)
            #expect(upload.headers["x-openstack-image-size"] == [String(bytes.count)])
        }
    }

    @Test func aVerifiedUploadCompletes() async throws {
        let bytes = [UInt8](repeating: 0x5a, count: 64 * 1024)
        let md5 = StreamDigest(algorithm: "md5")!
        md5.update(bytes)
        let expected = ExpectedData(size: Int64(bytes.count), md5: md5.finalize(), hashAlgorithm: nil, hashValue: nil)
        try await withStagedGlance([StagedResponse(.noContent)]) { client, server in
            let stream = VerifyingByteStream(
                base: ChunkSequence(bytes, chunkSize: 8 * 1024),
                expected: expected,
                source: "http://source",
                onChunk: { _ in }
            )
            try await client.upload(firstID, stream, size: Int64(bytes.count))
            let upload = try #require(server.requests.first)
            #expect(upload.complete)
            #expect(upload.bodyBytes == bytes.count)
            #expect(upload.headers["Content-Type"] == ["application/octet-stream"])
        }
    }

    @Test func aClosedPortIsUnreachableAfterRetries() async throws {
        // Bind a port, then close it, so nothing listens there.
        let closed = try await StagedGlance.start([StagedResponse(.ok)])
        try await closed.stop()
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .replicator)
        do {
            guard case .glance(let endpoint) = try ImageLocation(parsing: "127.0.0.1:\(closed.port)") else {
                throw ReplicatorError.invalidOption("not Glance")
            }
            let client = GlanceClient(
                endpoint: endpoint,
                http: http,
                token: nil,
                retry: RetryPolicy(attempts: 2, initialBackoff: .milliseconds(10), maximumBackoff: .seconds(2)),
                logger: Logger(label: "staged-glance-test")
            )
            let error = await #expect(throws: ReplicatorError.self) { try await client.listImages() }
            #expect(error?.category == .fatal)
            #expect(error?.isTransient == true)
            #expect(error?.message == "cannot reach \(closed.root): connection refused")
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}
