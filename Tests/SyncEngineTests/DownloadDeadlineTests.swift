import AsyncHTTPClient
import CatalogDiff
import Logging
import NIOCore
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

/// A source that sends an image's data one byte at a time never trips the read timeout (a silence between two
/// reads): the download's total deadline ends it, with a line that says so, and nothing is fetched again.
@Suite("The download's total deadline")
struct DownloadDeadlineTests {
    static let imageID = "33333333-3333-4333-8333-333333333333"

    @Test func aDribbledDownloadEndsAtItsTotalDeadline() async throws {
        // 40 bytes, one every 100 ms: 4 s in all, against an allowance of 1 s.
        let body = String(repeating: "x", count: 40)
        let file = StagedResponse(
            .ok,
            headers: ["Content-Type": "application/octet-stream"],
            body: body,
            dribble: .milliseconds(100)
        )
        try await withStagedGlance([file, file]) { client, server in
            let download = ResumableDownload(
                client: client,
                imageID: Self.imageID,
                size: Int64(body.utf8.count),
                maxResumes: 2,
                logger: Logger(label: "download-deadline-test"),
                allowance: .seconds(1)
            )
            let clock = ContinuousClock()
            let started = clock.now
            var received = 0
            let error = await #expect(throws: ReplicatorError.self) {
                for try await chunk in download { received += chunk.readableBytes }
            }
            let elapsed = clock.now - started
            let message = error?.message ?? ""
            #expect(message.contains("took longer than it may in all (1 s)"), "error: \(message)")
            #expect(message.contains("of 40 bytes came"))
            // Ended at the deadline, not at the dribble's end: fewer than its 40 bytes came. (No upper bound on
            // the time: this process's other tests may hold both cores' threads for seconds, and the loop
            // here resumes only when it gets one; the bytes are counted where the deadline cut them.)
            #expect(elapsed >= .seconds(1), "ended after \(elapsed)")
            #expect(received > 0 && received < 40, "received \(received) bytes")
            // One request: the deadline ends the download, it does not resume it.
            #expect(server.requests.filter { $0.uri.hasSuffix("/file") }.count == 1)
        }
    }

    @Test func anUnnamedAllowanceIsTheClientsForTheBytesToCome() throws {
        let location = try ImageLocation(parsing: "127.0.0.1:1")
        guard case .glance(let endpoint) = location else { throw ReplicatorError.invalidOption("not Glance") }
        let client = GlanceClient(
            endpoint: endpoint,
            http: .shared,
            token: nil,
            retry: RetryPolicy(attempts: 1, initialBackoff: .milliseconds(10), maximumBackoff: .seconds(1)),
            logger: Logger(label: "download-deadline-test")
        )
        let size: Int64 = 64 << 20
        let download = ResumableDownload(
            client: client,
            imageID: Self.imageID,
            size: size,
            offset: 16 << 20,
            maxResumes: 2,
            logger: Logger(label: "download-deadline-test")
        )
        #expect(download.totalAllowance == GlanceClient.allowance(forBytes: 48 << 20))
        #expect(download.totalAllowance > GlanceClient.requestTimeout)
    }
}
