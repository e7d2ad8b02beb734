import Foundation
import Testing

/// The deletion rule (README "Safety") against real Glance regions, through the built binary: a record the
/// tool did not make, or one that is busy, survives a copy that fails; the control case (the tool's own
/// record) is `FaultTests.persistentCorruptionFailsTheImageAndLeavesNothing`.
extension ReplicationTests {
    @Suite("The deletion rule and inert output on real regions", .serialized)
    struct DeletionRuleTests {
        let a: GlanceTestClient
        let b: GlanceTestClient

        init() async throws {
            (a, b) = try await RealRegions.emptiedAB()
        }

        @Test func aNativeEmptyRecordUnderTheSourcesIDSurvivesAFailedCopy() async throws {
            let id = newID()
            try await a.seed(id, data: randomData(200_000), ["name": "from-a", "visibility": "public"])
            // The target's own user made a record with that id (no provenance property of this tool).
            try await b.create(["id": id, "name": "native", "visibility": "public"])
            // Every read of the source is corrupted: the copy fails for good (a hash mismatch).
            let proxy = try FaultProxy(upstream: a.root, ["--flips", "5", "--flip-at", "123"])
            let run = try await CLIRunner.run(["replicate", proxy.root, b.root, "--format", "json"])
            #expect(run.status == 3, "stderr: \(run.stderr)")
            #expect(try run.images()[id]?["result"] as? String == "failed")
            // Kept, and back in `queued` once Glance has noticed the failed upload (on MariaDB it may still say
            // `saving` for a moment when the run ends).
            let kept = try #require(try await b.imageOnceSettled(id))
            #expect(kept["status"] as? String == "queued")
        }

        @Test func aTargetRecordUnderUploadIsReportedWithItsStatusAndKept() async throws {
            let id = newID()
            try await a.seed(id, data: randomData(100_000), ["name": "from-a", "visibility": "public"])
            // Data staged for an import that has not run: Glance holds the record in `uploading`.
            try await b.create(["id": id, "name": "staged", "visibility": "public"])
            try await b.call(
                "PUT",
                "/v2/images/\(id)/stage",
                body: randomData(1000),
                contentType: "application/octet-stream",
                expect: [204]
            )
            #expect(try await b.image(id)?["status"] as? String == "uploading")
            let run = try await CLIRunner.run(["replicate", a.root, b.root, "--format", "json"])
            #expect(run.status == 3, "stderr: \(run.stderr)")
            let entry = try #require(try run.images()[id])
            #expect(entry["result"] as? String == "failed")
            #expect((entry["error"] as? String)?.contains("'uploading'") == true)
            #expect(try await b.image(id)?["status"] as? String == "uploading")
        }
        @Test func progressAndLogLinesShowServerStringsInert() async throws {
            let id = newID()
            let name = "\u{1B}]0;owned\u{07}\u{1B}[2Jname\nsummary: forged\u{202E}"
            try await a.seed(id, data: randomData(50_000), ["name": name, "visibility": "public"])
            let run = try await CLIRunner.run(["replicate", a.root, b.root, "--progress", "lines", "--verbose"])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try await b.image(id)?["name"] as? String == name)  // the data is copied exactly
            for output in [run.stdout, run.stderr] {
                #expect(!output.contains("\u{1B}"))
                #expect(!output.contains("\u{07}"))
                #expect(!output.contains("\u{202E}"))
            }
            #expect(run.stderr.contains("copying \\u{1B}]0;owned\\u{7}"))  // the progress line
            #expect(run.stdout.split(separator: "\n").filter { $0.hasPrefix("summary:") }.count == 1)
        }
    }
}
