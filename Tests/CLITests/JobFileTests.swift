import Foundation
import Testing

/// Job files that are wrong: one stderr line naming the file, the line and the key, exit 2, nothing
/// contacted. No region is needed.
@Suite("Job files")
struct JobFileTests {
    func jobFile(_ text: String) throws -> String {
        let url = ScratchDirectory.unusedURL("job").appendingPathExtension("yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test(arguments: [
        ("visibility: public\nconcurency: 2\n", 2, "concurency: unknown key"),
        ("concurrency: 0\n", 1, "concurrency: --concurrency must be at least 1"),
        ("concurrency: many\n", 1, "concurrency: The value 'many' is invalid for '--concurrency"),
        ("visibility: pubic\n", 1, "visibility: --visibility: 'pubic' is not one of"),
        ("\n\nverbose: perhaps\n", 3, "verbose: a flag: true or false"),
        ("window: 25:00-26:00\n", 1, "window: --window:"),
        ("shard: 3/3\n", 1, "shard: --shard:"),
        ("targets: [127.0.0.1:2, ftp://x]\n", 1, "targets: 'ftp://x' is not a location"),
        ("format: json\nconfig: other.yaml\n", 2, "config: a job file cannot name another job file"),
        ("dontreplicate: {a: b}\n", 1, "dontreplicate: a value or a list of values"),
        ("visibility: [public\n", 2, "not valid YAML"),
        ("help: true\n", 1, "help: unknown key"),
    ])
    func badKeyIsOneLineNamingFileLineAndKey(text: String, line: Int, message: String) async throws {
        // compare: nothing to reach, and no other option of the command line replaces the file's.
        let path = try jobFile("source: 127.0.0.1:1\n" + text)
        let result = try await CLIRunner.run(["compare", "--config", path])
        #expect(result.status == 2, "stderr: \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(lines.first?.hasPrefix("glance-replicator: error: \(path):\(line + 1): ") == true, "\(result.stderr)")
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func aKeyGivenOnTheCommandLineIsNotCheckedFromTheFile() async throws {
        // The file's bad concurrency is replaced, so the run goes on to the (unreachable) endpoint.
        let path = try jobFile("source: 127.0.0.1:1\ntargets: 127.0.0.1:2\nconcurrency: 0\n")
        let result = try await CLIRunner.run(["replicate", "--config", path, "--concurrency", "1", "--dry-run"])
        #expect(result.status == 4, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("cannot reach http://127.0.0.1:1"))
    }

    @Test func anErrorOfTheWholeNamesTheJobFile() async throws {
        let path = try jobFile("source: 127.0.0.1:1\ntargets: [127.0.0.1:2]\nshard: 1/2\nshard-count: 2\n")
        let result = try await CLIRunner.run(["compare", "--config", path], environment: ["JOB_COMPLETION_INDEX": "0"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "glance-replicator: error: \(path) with the command line: give --shard or --shard-count, not both\n"
        )
    }

    @Test func unreadableFileIsAUsageError() async throws {
        let result = try await CLIRunner.run(["compare", "--config", "/nonexistent/job.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("glance-replicator: error: cannot read the job file /nonexistent/job.yaml"))
    }

    @Test func helpDocumentsTheUnattendedOptions() async throws {
        let result = try await CLIRunner.run(["replicate", "--help"])
        #expect(result.status == 0)
        for needle in ["--config", "--lock", "--log-format", "--metrics-file", "--window", "--shard", "--shard-count"] {
            #expect(result.stdout.contains(needle), "help lacks \(needle)")
        }
        #expect(!result.stdout.contains("--check-args"))
        let root = try await CLIRunner.run(["--help"])
        #expect(root.stdout.contains("5 another"), "\(root.stdout)")
    }
}
