import Foundation
import Testing

/// A short test id ("1") as the UUID Glance would give it: ids that are not UUIDs are invalid records.
func offlineID(_ id: String) -> String {
    "00000000-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - id.count)) + id
}

/// The audit commands where no Glance region is needed: dumps on both sides, usage errors, help.
@Suite("Offline audits of dump directories")
struct OfflineAuditTests {
    /// A dump of `records` (id, name, size), metadata only.
    func dump(_ records: [(String, String, Int)], in scratch: ScratchDirectory, named name: String) throws -> String {
        let path = scratch.file(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (shortID, imageName, size) in records {
            let id = offlineID(shortID)
            let record: [String: Any] = [
                "id": id, "name": imageName, "status": "active", "visibility": "public", "size": size,
                "checksum": String(repeating: "a", count: 31) + String(size % 10), "os_hash_algo": "sha512",
                "os_hash_value": String(repeating: "b", count: 127) + String(size % 10), "disk_format": "raw",
                "container_format": "bare", "tags": [], "created_at": "2026-11-20T00:00:00Z",
            ]
            try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: "\(path)/\(id).json"))
        }
        return "dir:\(path)"
    }

    @Test func twoDumpsCompareWithAlignedTableAndSummaryLast() async throws {
        let scratch = try ScratchDirectory("offline")
        defer { scratch.remove() }
        let a = try dump(
            [("1", "alpha", 5), ("2", "a-much-longer-name", 3_000_000), ("3", "gamma", 7)],
            in: scratch,
            named: "a"
        )
        let b = try dump([("1", "alpha", 5), ("9", "other", 8)], in: scratch, named: "b")
        let result = try await CLIRunner.run(["compare", a, b])
        #expect(result.status == 1, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.last(where: { !$0.isEmpty })?.hasPrefix("summary: 1 in sync, 2 missing") == true)
        let rows = lines.filter { $0.hasPrefix("missing") || $0.hasPrefix("in_sync") || $0.hasPrefix("extra") }
        #expect(rows.count == 4)
        let header = try #require(lines.first { $0.hasPrefix("STATE") })
        // Every row's id starts in the header's ID column, and sizes are right-aligned under SIZE.
        let idColumn = try #require(header.range(of: "ID")).lowerBound.utf16Offset(in: header)
        let sizeEnd = try #require(header.range(of: "SIZE")).upperBound.utf16Offset(in: header)
        for row in rows {
            #expect(Array(row.utf16)[idColumn - 1] == UInt16(UInt8(ascii: " ")), "\(row)")
            #expect(Array(row.utf16)[idColumn] != UInt16(UInt8(ascii: " ")), "\(row)")
            #expect(Array(row.utf16)[sizeEnd - 1] == UInt16(UInt8(ascii: "B")), "\(row)")
        }
        #expect(result.stdout.contains("2.9 MiB"))

        let same = try await CLIRunner.run(["compare", a, a, "--format", "json"])
        #expect(same.status == 0)
        #expect(try same.summary()["in_sync"] == 3)
    }

    @Test(arguments: [
        (["--since", "2026-11-20"], 3),
        (["--since", "2026-11-20T00:00:01Z"], 0),
        (["--since", "2026-11-20T01:00:00+02:00"], 3),
        (["--since", "2026-11-19T23:59:59"], 3),
        (["--min-size", "1M"], 1),
        (["--max-size", "5B"], 1),
        (["--min-size", "6", "--max-size", "3MB"], 2),  // 3MB is 3 000 000: bounds are inclusive
        (["--min-size", "6", "--max-size", "2.8M"], 1),
        (["--include-name", "*a", "--exclude-name", "g*"], 1),
        (["--image", offlineID("3"), "--image", offlineID("1")], 2),
    ])
    func filtersNarrowSize(options: [String], images: Int) async throws {
        let scratch = try ScratchDirectory("offline")
        defer { scratch.remove() }
        let a = try dump(
            [("1", "alpha", 5), ("2", "a-much-longer-name", 3_000_000), ("3", "gamma", 7)],
            in: scratch,
            named: "a"
        )
        let result = try await CLIRunner.run(["size", a, "--format", "json"] + options)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect((try result.json()["summary"] as? [String: Int])?["images"] == images)
    }

    @Test(arguments: [
        (["dump", "127.0.0.1:1", "127.0.0.1:2"], "TARGET must be dir:PATH"),
        (["load", "127.0.0.1:1", "127.0.0.1:2"], "SOURCE must be dir:PATH"),
        (["replicate", "127.0.0.1:1", "127.0.0.1:2", "--prune", "--max-delete", "-1"], "--max-delete"),
        (["compare", "dir:", "dir:/x"], "is not a location"),
        // Refused before any listing: the unreachable source is never contacted.
        (["replicate", "127.0.0.1:1", "dir:/tmp/never-written"], "cannot write into a dump directory"),
        (["size", "dir:/x", "--property", "=v"], "is not KEY=VALUE"),
    ])
    func usageErrorsExitTwo(arguments: [String], message: String) async throws {
        let result = try await CLIRunner.run(arguments)
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func unreadableDumpIsFatalWithOneLine() async throws {
        let result = try await CLIRunner.run(["size", "dir:/nonexistent/dump"])
        #expect(result.status == 4)
        #expect(
            result.stderr
                == "glance-replicator: error: cannot read the dump at /nonexistent/dump: No such file or directory\n"
        )
    }

    @Test func unwritableReportIsFatalAfterTheRun() async throws {
        let scratch = try ScratchDirectory("offline")
        defer { scratch.remove() }
        let a = try dump([("1", "alpha", 5)], in: scratch, named: "a")
        let result = try await CLIRunner.run(["compare", a, a, "--report", "/nonexistent/dir/report.json"])
        #expect(result.status == 4)
        #expect(result.stderr.contains("cannot write the report to /nonexistent/dir/report.json"))
    }

    @Test(arguments: ["size", "dump", "load"])
    func newCommandsTeachWithExamples(command: String) async throws {
        let result = try await CLIRunner.run([command, "--help"])
        #expect(result.status == 0)
        for needle in ["Examples:", "--include-name", "--report", "--report-html", "--since", "--image"] {
            #expect(result.stdout.contains(needle), "\(command) --help lacks \(needle)")
        }
    }
}
