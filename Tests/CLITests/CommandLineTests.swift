import Foundation
import Testing

/// The CLI contract where no region is needed: usage errors, unreachable endpoints, help.
@Suite("Command line")
struct CommandLineTests {
    @Test(arguments: [
        ["compare", "http://127.0.0.1:1", "http://127.0.0.1:2"],
        ["replicate", "127.0.0.1:1", "127.0.0.1:2", "--dry-run"],
    ])
    func unreachableEndpointIsFatalWithOneLine(arguments: [String]) async throws {
        let result = try await CLIRunner.run(arguments)
        #expect(result.status == 4)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(lines.first?.hasPrefix("glance-replicator: error: cannot reach http://127.0.0.1:1") == true)
        #expect(lines.first?.contains("connection refused") == true)
    }

    @Test(arguments: [
        (["compare", "ftp://x", "http://127.0.0.1:2"], "'ftp://x' is not a location"),
        (["compare", "justahost", "http://127.0.0.1:2"], "is not a location"),
        (["compare", "cloud:no-such-cloud/r1", "http://127.0.0.1:2"], "cloud 'no-such-cloud' is not"),
        (["compare", "127.0.0.1:1", "127.0.0.1:2", "--visibility", "pubic"], "'pubic' is not one of"),
        (["compare", "127.0.0.1:1", "127.0.0.1:2", "--format", "yaml"], "yaml"),
        (["replicate", "127.0.0.1:1", "127.0.0.1:2", "--spool-max-age", "soon"], "--spool-max-age"),
        (["replicate", "127.0.0.1:1"], "Missing expected argument"),
        (["frobnicate"], "Unexpected argument"),
    ])
    func usageErrorsExitTwo(arguments: [String], message: String) async throws {
        let result = try await CLIRunner.run(arguments)
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
        #expect(result.stdout.isEmpty)
    }

    @Test func helpTeachesWithExamples() async throws {
        let result = try await CLIRunner.run(["replicate", "--help"])
        #expect(result.status == 0)
        for needle in [
            "--dry-run", "--visibility", "--format", "--token", "--dontreplicate", "--spool-max-age", "Examples:",
            "livecopy",
        ] {
            #expect(result.stdout.contains(needle), "help lacks \(needle)")
        }
        let root = try await CLIRunner.run(["--help"])
        #expect(root.status == 0)
        #expect(
            root.stdout.contains("compare") && root.stdout.contains("replicate") && root.stdout.contains("Exit codes")
        )
    }
}
