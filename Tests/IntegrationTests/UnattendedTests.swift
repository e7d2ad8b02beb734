import Foundation
import Testing

/// Job files, metrics, JSON logs, shards and the time window against two real Glance regions, through the
/// built binary. Serialized: every test starts by emptying both catalogs.
@Suite(
    "Unattended runs between real Glance regions",
    .serialized,
    .needsRealRegions
)
struct UnattendedTests {
    let a: GlanceTestClient
    let b: GlanceTestClient
    let folder: URL

    init() async throws {
        (a, b) = try await RealRegions.emptiedAB()
        folder = ScratchDirectory.unusedURL("unattended")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func write(_ text: String, to name: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Lock files of these runs go to the test's folder, not the user's state directory.
    var environment: [String: String] { ["XDG_STATE_HOME": folder.path] }

    @Test func jobFileReplicatesAndTheCommandLineWins() async throws {
        let publicID = newID()
        let communityID = newID()
        try await a.seed(publicID, data: randomData(3000), ["name": "pub", "visibility": "public"])
        try await a.seed(communityID, data: randomData(2000), ["name": "comm", "visibility": "community"])
        let job = try write(
            """
            # nightly mirror
            source: \(a.root)
            targets:
              - \(b.root)
            visibility: public
            format: json
            dontreplicate: [owner_specified.openstack.md5, owner_specified.openstack.sha256]
            concurrency: 1
            """,
            to: "job.yaml"
        )

        let dryRun = try await CLIRunner.run(["replicate", "--config", job, "--dry-run"], environment: environment)
        #expect(dryRun.status == 1, "stderr: \(dryRun.stderr)")
        #expect(try Set(dryRun.images().keys) == [publicID])
        #expect(try await b.allImages().isEmpty)

        let run = try await CLIRunner.run(["replicate", "--config", job], environment: environment)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(try await b.image(publicID)?["status"] as? String == "active")
        #expect(try await b.image(communityID) == nil)

        // A flag on the command line replaces the file's key.
        let wider = try await CLIRunner.run(
            ["replicate", "--config", job, "--visibility", "public,community"],
            environment: environment
        )
        #expect(wider.status == 0, "stderr: \(wider.stderr)")
        #expect(try wider.images()[communityID]?["result"] as? String == "done")
        #expect(try await b.image(communityID)?["status"] as? String == "active")

        // Locations on the command line replace the file's: B against itself is in sync.
        let compare = try await CLIRunner.run(["compare", b.root, b.root, "--config", job], environment: environment)
        #expect(compare.status == 0, "stderr: \(compare.stderr)")
        #expect(try compare.json()["source"] as? String == b.root)
    }

    @Test func metricsFileDescribesTheRunAndKeepsLastSuccessAcrossAFailure() async throws {
        let first = newID()
        let second = newID()
        try await a.seed(first, data: randomData(120_000), ["name": "m1", "visibility": "public"])
        try await a.seed(second, data: randomData(30_000), ["name": "m2", "visibility": "public"])
        try await b.seed(newID(), data: randomData(10), ["name": "only-b", "visibility": "public"])
        let metricsPath = folder.appendingPathComponent("textfile/job.prom").path
        let before = Date().timeIntervalSince1970
        let run = try await CLIRunner.run(
            ["replicate", a.root, b.root, "--metrics-file", metricsPath],
            environment: environment
        )
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let samples = try PrometheusSamples(path: metricsPath)
        let target = "source=\"\(a.root)\",target=\"\(b.root)\""
        let job = "source=\"\(a.root)\",targets=\"\(b.root)\""
        #expect(samples["glance_replicator_images{\(target),state=\"missing\"}"] == 2)
        #expect(samples["glance_replicator_images{\(target),state=\"extra\"}"] == 1)
        #expect(samples["glance_replicator_images{\(target),state=\"in_sync\"}"] == 0)
        #expect(samples["glance_replicator_image_results{\(target),result=\"done\"}"] == 2)
        #expect(samples["glance_replicator_bytes_copied{\(target)}"] == 150_000)
        #expect(samples["glance_replicator_failures{\(target)}"] == 0)
        #expect(samples["glance_replicator_run_success{\(job)}"] == 1)
        #expect(samples["glance_replicator_run_exit_code{\(job)}"] == 0)
        let duration = try #require(samples["glance_replicator_run_duration_seconds{\(job)}"])
        #expect(duration > 0 && duration < Date().timeIntervalSince1970 - before + 1)
        let lastSuccess = try #require(samples["glance_replicator_last_success_timestamp_seconds{\(job)}"])
        #expect(lastSuccess >= before && lastSuccess <= Date().timeIntervalSince1970)

        // A failing run (its source unreachable) writing the same file: the file says so, keeps the last
        // success, and has no per-target series, since the run never got a report.
        let broken = try await CLIRunner.run(
            ["replicate", "127.0.0.1:1", b.root, "--metrics-file", metricsPath],
            environment: environment
        )
        #expect(broken.status == 4)
        let after = try PrometheusSamples(path: metricsPath)
        let brokenJob = "source=\"http://127.0.0.1:1\",targets=\"\(b.root)\""
        #expect(after["glance_replicator_run_success{\(brokenJob)}"] == 0)
        #expect(after["glance_replicator_run_exit_code{\(brokenJob)}"] == 4)
        #expect(after["glance_replicator_last_success_timestamp_seconds{\(brokenJob)}"] == lastSuccess)
        #expect(after.values.keys.allSatisfy { !$0.hasPrefix("glance_replicator_images{") })
    }

    @Test func jsonLogsAreOneObjectALineWithRunAndImage() async throws {
        let id = newID()
        try await a.seed(id, data: randomData(5000), ["name": "logged", "visibility": "public"])
        let run = try await CLIRunner.run(
            ["replicate", a.root, b.root, "--log-format", "json"],
            environment: environment
        )
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            objects.append(try #require(object, "not a JSON object: \(line)"))
        }
        let runIDs = Set(objects.compactMap { $0["run_id"] as? String })
        #expect(runIDs.count == 1, "run ids: \(runIDs)")
        #expect(objects.allSatisfy { $0["run_id"] != nil && $0["level"] != nil && $0["timestamp"] != nil })
        let copied = try #require(objects.first { $0["message"] as? String == "copied" }, "\(run.stderr)")
        #expect(copied["image_id"] as? String == id)
        #expect(copied["target"] as? String == b.root)

        // The final error line is JSON too, after the retries' lines.
        let failed = try await CLIRunner.run(["compare", "127.0.0.1:1", b.root, "--log-format", "json"])
        #expect(failed.status == 4)
        let failedLines = try failed.stderr.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(failedLines.allSatisfy { $0?["run_id"] is String })
        let error = try #require(failedLines.last ?? nil)
        #expect(error["level"] as? String == "error")
        #expect((error["message"] as? String)?.contains("cannot reach http://127.0.0.1:1") == true)
    }

    @Test func shardsCoverTheCatalogExactlyOnce() async throws {
        var sourceIDs: [String] = []
        for index in 0..<12 {
            let id = newID()
            try await a.seed(id, data: randomData(500 + index), ["name": "s\(index)", "visibility": "public"])
            sourceIDs.append(id)
        }
        var extraIDs: [String] = []
        for index in 0..<4 {
            let id = newID()
            try await b.seed(id, data: randomData(100), ["name": "x\(index)", "visibility": "public"])
            extraIDs.append(id)
        }
        var seen: [String] = []
        for index in 0..<3 {
            let result = try await CLIRunner.run([
                "compare", a.root, b.root, "--shard", "\(index)/3", "--format", "json",
            ])
            #expect(result.status == 1, "stderr: \(result.stderr)")
            let ids = try result.images().keys
            seen += ids
            // The Indexed Job form picks the same shard.
            let indexed = try await CLIRunner.run(
                ["compare", a.root, b.root, "--shard-count", "3", "--format", "json"],
                environment: ["JOB_COMPLETION_INDEX": "\(index)"]
            )
            #expect(try Set(indexed.images().keys) == Set(ids))
        }
        #expect(seen.count == sourceIDs.count + extraIDs.count, "an image is in two shards")
        #expect(Set(seen) == Set(sourceIDs + extraIDs))
    }

    /// `HH:MM` of now plus `minutes`, on the UTC clock the child is given (TZ=UTC).
    func clock(_ minutes: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.hour, .minute], from: Date().addingTimeInterval(Double(minutes) * 60))
        return String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
    }

    @Test func outsideTheWindowNoImageIsStarted() async throws {
        let id = newID()
        try await a.seed(id, data: randomData(4000), ["name": "edge", "visibility": "public"])
        let utc = environment.merging(["TZ": "UTC"]) { $1 }
        let closed = try await CLIRunner.run(
            ["replicate", a.root, b.root, "--window", "\(clock(120))-\(clock(180))", "--format", "json"],
            environment: utc
        )
        #expect(closed.status == 0, "stderr: \(closed.stderr)")
        #expect(try closed.images()[id]?["result"] as? String == "deferred")
        #expect(try await b.image(id) == nil)

        let table = try await CLIRunner.run(
            ["replicate", a.root, b.root, "--window", "\(clock(120))-\(clock(180))"],
            environment: utc
        )
        #expect(table.stdout.contains("1 deferred (outside --window"), "\(table.stdout)")

        let open = try await CLIRunner.run(
            ["replicate", a.root, b.root, "--window", "\(clock(-60))-\(clock(60))", "--format", "json"],
            environment: utc
        )
        #expect(open.status == 0, "stderr: \(open.stderr)")
        #expect(try open.images()[id]?["result"] as? String == "done")
        #expect(try await b.image(id)?["status"] as? String == "active")
    }
}

/// The samples of a Prometheus text file, by series (`name{labels}`).
struct PrometheusSamples {
    var values: [String: Double] = [:]

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw CLIRunner.Failure(description: "not a sample line: \(line)")
            }
            values[String(line[..<space])] = value
        }
    }

    subscript(series: String) -> Double? { values[series] }
}
