import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The transfer engine against real regions: fan-out, the spool and journal across killed and interrupted
/// runs, budgets and bandwidth limits. Nested in the serialized suite because it shares the regions.
extension ReplicationTests {
    @Suite("Transfers: fan-out, resume across runs, limits", .serialized)
    struct TransferTests {
        let a: GlanceTestClient
        let b: GlanceTestClient
        static let mib = 1 << 20

        init() async throws {
            (a, b) = try await RealRegions.emptiedAB()
            try await RealRegions.c?.wipe()
        }

        func seed(size: Int, name: String) async throws -> (String, Data) {
            let id = newID()
            let data = randomData(size)
            try await a.seed(id, data: data, ["name": name, "visibility": "public"])
            return (id, data)
        }

        /// A fresh journal and spool for one test.
        func stateArguments() -> [String] {
            let base = ScratchDirectory.unusedURL("transfer")
            return [
                "--state", base.appendingPathComponent("state.sqlite").path, "--spool",
                base.appendingPathComponent("spool").path,
            ]
        }

        func spoolFiles(_ arguments: [String]) -> [String] {
            let directory = arguments[arguments.firstIndex(of: "--spool")! + 1]
            let walker = FileManager.default.enumerator(atPath: directory)
            return (walker?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".part") }
        }

        /// Polls the proxy until the source has sent `bytes` of image data.
        func waitForDownload(_ proxy: FaultProxy, atLeast bytes: Int) throws {
            for _ in 0..<600 {
                if (try? proxy.count("download_body_bytes")) ?? 0 >= bytes { return }
                usleep(50_000)
            }
            throw CLIRunner.Failure(description: "the download never reached \(bytes) bytes")
        }

        @Test func fanOutReadsEachSourceImageOnce() async throws {
            let c = try #require(RealRegions.c, "GLANCE_REGION_C_URL is not set: scripts/test starts a third region")
            let first = try await seed(size: 3 * Self.mib + 7, name: "fan-1")
            let second = try await seed(size: 5 * Self.mib, name: "fan-2")
            let proxy = try FaultProxy(upstream: a.root, [])
            let state = stateArguments()
            let run = try await CLIRunner.run(["replicate", proxy.root, b.root, c.root, "--format", "json"] + state)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try proxy.count("downloads") == 2)
            #expect(try proxy.count("download_body_bytes") == first.1.count + second.1.count)
            let targets = try run.json()["targets"] as? [[String: Any]] ?? []
            #expect(targets.count == 2)
            for target in targets {
                let results = (target["images"] as? [[String: Any]] ?? []).compactMap { $0["result"] as? String }
                #expect(results == ["done", "done"], "\(target["target"] ?? "")")
            }
            for region in [b, c] {
                #expect(try await region.data(first.0) == first.1)
                #expect(try await region.data(second.0) == second.1)
            }
            // Region C hashes with sha256 (scripts/test): its multihash was checked against the spool file.
            #expect(try await c.image(first.0)?["os_hash_algo"] as? String == "sha256")
            #expect(spoolFiles(state).isEmpty, "spool files go once every target holds a verified copy")
        }

        /// The bytes of the spool's files under way.
        func spoolBytes(_ arguments: [String]) -> Int {
            let directory = arguments[arguments.firstIndex(of: "--spool")! + 1]
            return spoolFiles(arguments).reduce(0) { total, file in
                let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + file)
                return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
            }
        }

        /// The three modes told apart by what a user can watch during the copy (the source slowed down by the
        /// proxy): `never` writes no spool file, `always` holds the whole image on disk before the upload
        /// starts, `auto` uploads while the spool fills. Each reads the source exactly once.
        @Test(arguments: ["auto", "always", "never"])
        func everySpoolModeMakesAVerifiedCopy(mode: String) async throws {
            let size = 6 * Self.mib + 1
            let (id, data) = try await seed(size: size, name: "mode-\(mode)")
            let state = stateArguments()
            let proxy = try FaultProxy(upstream: a.root, ["--throttle", "\(3 * Self.mib)"])
            let run = try CLIRunner.start(["replicate", proxy.root, b.root, "--spool", mode] + state)
            var samples: [(spooled: Int, status: String?)] = []
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline {
                let spooled = spoolBytes(state)
                let status = try await b.image(id)?["status"] as? String
                samples.append((spooled, status))
                if status == "active" { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            let result = try await run.finish()
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try await b.data(id) == data)
            #expect(try proxy.count("download_body_bytes") == size, "the source is read once")
            #expect(spoolFiles(state).isEmpty)
            let uploading = samples.filter { $0.status == "saving" }
            #expect(!uploading.isEmpty, "the upload was never seen under way")
            switch mode {
            case "never":
                #expect(samples.allSatisfy { $0.spooled == 0 }, "--spool never wrote a spool file")
            case "always":
                #expect(uploading.allSatisfy { $0.spooled == size }, "uploaded before the spool held the image")
            default:
                #expect(
                    uploading.contains { $0.spooled > 0 && $0.spooled < size },
                    "auto uploads while the spool fills: \(uploading.map(\.spooled))"
                )
            }
        }

        @Test func killedRunIsContinuedFromTheSpoolAndFetchesAtMostEightMiBTwice() async throws {
            let size = 40 * Self.mib + 3
            let (id, data) = try await seed(size: size, name: "killed")
            let state = stateArguments()
            let slow = try FaultProxy(upstream: a.root, ["--throttle", "\(6 * Self.mib)"])
            let port = slow.port
            let first = try CLIRunner.start(["replicate", slow.root, b.root] + state)
            try waitForDownload(slow, atLeast: 12 * Self.mib)
            first.signal(SIGKILL)
            #expect(try await first.finish().status == 128 + SIGKILL)
            let readBefore = try slow.count("download_body_bytes")
            slow.stop()

            let status = try await CLIRunner.run(["status", "--format", "json"] + state)
            #expect(status.status == 0, "stderr: \(status.stderr)")
            let journal = try status.json()
            let partial = journal["partial_transfers"] as? [[String: Any]] ?? []
            #expect(partial.first?["image_id"] as? String == id)
            #expect((partial.first?["spooled_bytes"] as? Int ?? 0) > 0)
            #expect((journal["runs"] as? [[String: Any]])?.first?["outcome"] as? String == "killed")

            // The same source URL (a proxy on the same port) as a cron job's next run would use.
            let proxy = try FaultProxy(upstream: a.root, ["--listen", "127.0.0.1:\(port)"])
            let second = try await CLIRunner.run(["replicate", proxy.root, b.root, "--format", "json"] + state)
            #expect(second.status == 0, "stderr: \(second.stderr)")
            let ranges = (try proxy.stats()["ranges"] as? [Any] ?? []).compactMap { $0 as? String }
            #expect(ranges.first?.hasPrefix("bytes=") == true, "the rerun resumes with a Range request: \(ranges)")
            let total = readBefore + (try proxy.count("download_body_bytes"))
            #expect(total <= size + 8 * Self.mib, "read \(total) bytes over both runs for \(size)")
            #expect(try await b.data(id) == data)
            #expect(try await b.allImages().filter { $0["name"] as? String == "killed" }.count == 1)
            #expect(spoolFiles(state).isEmpty)
        }

        @Test(arguments: [(SIGINT, Int32(130), "SIGINT"), (SIGTERM, Int32(143), "SIGTERM")])
        func signalStopsTheRunCleanlyAndTheNextContinues(signal: Int32, code: Int32, name: String) async throws {
            let size = 24 * Self.mib
            let (id, data) = try await seed(size: size, name: "signalled")
            let (smallID, small) = try await seed(size: 1000, name: "small-first")
            let state = stateArguments()
            let slow = try FaultProxy(upstream: a.root, ["--throttle", "\(4 * Self.mib)"])
            let port = slow.port
            let run = try CLIRunner.start(["replicate", slow.root, b.root, "--format", "json"] + state)
            try waitForDownload(slow, atLeast: 4 * Self.mib)
            run.signal(signal)
            let stopped = try await run.finish()
            let readBefore = try slow.count("download_body_bytes")
            slow.stop()
            #expect(stopped.status == code, "stderr: \(stopped.stderr)")
            let errorLines = stopped.stderr.split(separator: "\n").filter { $0.hasPrefix("glance-replicator: error:") }
            #expect(errorLines.count == 1 && errorLines[0].contains("stopped by \(name)"), "\(stopped.stderr)")
            #expect(try stopped.json()["interrupted_by"] as? String == name)
            let images = try stopped.images()
            #expect(images[smallID]?["result"] as? String == "done", "smallest first: done before the signal")
            #expect(images[id]?["result"] as? String == "interrupted")
            // Nothing half-made is active: the cut-off upload left an empty queued record for the next run.
            let record = try await b.image(id)
            #expect(record == nil || record?["status"] as? String == "queued", "\(record ?? [:])")

            let proxy = try FaultProxy(upstream: a.root, ["--listen", "127.0.0.1:\(port)"])
            let again = try await CLIRunner.run(["replicate", proxy.root, b.root] + state)
            #expect(again.status == 0, "stderr: \(again.stderr)")
            let total = readBefore + (try proxy.count("download_body_bytes"))
            #expect(total <= size + small.count + 8 * Self.mib, "read \(total) bytes over both runs")
            #expect(try await b.data(id) == data)
        }

        @Test func maxTransferDefersWhatWouldGoPastIt() async throws {
            let one = try await seed(size: 1 * Self.mib, name: "one")
            let two = try await seed(size: 2 * Self.mib, name: "two")
            let four = try await seed(size: 4 * Self.mib, name: "four")
            let state = stateArguments()
            let run = try await CLIRunner.run(
                ["replicate", a.root, b.root, "--max-transfer", "3M", "--format", "json"] + state
            )
            #expect(run.status == 0, "deferred images are not failures; stderr: \(run.stderr)")
            let images = try run.images()
            #expect(images[one.0]?["result"] as? String == "done")
            #expect(images[two.0]?["result"] as? String == "done")
            #expect(images[four.0]?["result"] as? String == "deferred")
            #expect(try await b.image(four.0) == nil)

            let next = try await CLIRunner.run(["replicate", a.root, b.root] + state)
            #expect(next.status == 0, "stderr: \(next.stderr)")
            #expect(try await b.data(four.0) == four.1)
        }

        @Test func priorityRulesDecideWhatFitsTheBudget() async throws {
            let small = try await seed(size: 1 * Self.mib, name: "prio-small")
            let mid = try await seed(size: 2 * Self.mib, name: "prio-mid")
            let edgeID = newID()
            try await a.seed(
                edgeID,
                data: randomData(4 * Self.mib),
                ["name": "prio-edge", "visibility": "public", "tags": ["edge"]]
            )
            let run = try await CLIRunner.run(
                ["replicate", a.root, b.root, "--priority", "tag:edge", "--max-transfer", "5M", "--format", "json"]
                    + stateArguments()
            )
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let images = try run.images()
            #expect(images[edgeID]?["result"] as? String == "done", "the tagged image first, though the largest")
            #expect(images[small.0]?["result"] as? String == "done")
            #expect(images[mid.0]?["result"] as? String == "deferred")
        }

        @Test func maxDurationStartsNothingOnceItIsPast() async throws {
            let first = try await seed(size: 3 * Self.mib, name: "first")
            let second = try await seed(size: 4 * Self.mib, name: "second")
            let run = try await CLIRunner.run(
                // One at a time, so that the second image can only start after the first (several at once:
                // ConcurrencyTests).
                ["replicate", a.root, b.root, "--max-duration", "1s", "--bwlimit", "2M", "--concurrency", "1"]
                    + ["--format", "json"] + stateArguments()
            )
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let images = try run.images()
            #expect(images[first.0]?["result"] as? String == "done")
            #expect(images[second.0]?["result"] as? String == "deferred")
        }

        @Test func bandwidthLimitPacesTheWholeRun() async throws {
            let (id, data) = try await seed(size: 6 * Self.mib, name: "paced")
            let clock = ContinuousClock()
            let started = clock.now
            let run = try await CLIRunner.run(["replicate", a.root, b.root, "--bwlimit", "2M"] + stateArguments())
            let elapsed = clock.now - started
            #expect(run.status == 0, "stderr: \(run.stderr)")
            // 6 MiB at 2 MiB/s, less the half-second burst: at least 2.5 s.
            #expect(elapsed >= .milliseconds(2500), "took \(elapsed)")
            #expect(try await b.data(id) == data)
        }

        @Test func aTargetsBandwidthLimitPacesOnlyThatTarget() async throws {
            let c = try #require(RealRegions.c, "GLANCE_REGION_C_URL is not set: scripts/test starts a third region")
            let (id, data) = try await seed(size: 6 * Self.mib, name: "paced-target")
            let clock = ContinuousClock()
            let started = clock.now
            let run = try await CLIRunner.run(
                ["replicate", a.root, b.root, c.root, "--bwlimit", "\(c.root)=2M", "--format", "json"]
                    + stateArguments()
            )
            let elapsed = clock.now - started
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(elapsed >= .milliseconds(2500), "took \(elapsed)")
            #expect(try await b.data(id) == data)
            #expect(try await c.data(id) == data)
        }

        @Test func aBandwidthLimitForAnotherTargetIsRefused() async throws {
            let run = try await CLIRunner.run(["replicate", a.root, b.root, "--bwlimit", "http://127.0.0.1:1=2M"])
            #expect(run.status == 2)
            #expect(run.stderr.contains("not one of the targets"), "\(run.stderr)")
        }

        @Test func aTargetThatRefusesUploadsGetsTheImportFlow() async throws {
            let c = try #require(RealRegions.c, "GLANCE_REGION_C_URL is not set: scripts/test starts a third region")
            let first = try await seed(size: 2 * Self.mib + 1, name: "import-auto")
            let state = stateArguments()
            // Region C forbids PUT /file by policy (scripts/test): with `put` the copy fails with a hint...
            let refused = try await CLIRunner.run(
                ["replicate", a.root, c.root, "--upload-method", "put", "--format", "json"] + state
            )
            #expect(refused.status == 3, "stderr: \(refused.stderr)")
            let error = try refused.images()[first.0]?["error"] as? String ?? ""
            #expect(error.contains("403") && error.contains("--upload-method"), "\(error)")
            // ... and the empty record is kept, so that a later run can fill it under the same id.
            #expect(try await c.image(first.0)?["status"] as? String == "queued")
            let second = try await seed(size: 3 * Self.mib, name: "import-auto-2")
            let auto = try await CLIRunner.run(["replicate", a.root, c.root, "--format", "json"] + state)
            #expect(auto.status == 0, "stderr: \(auto.stderr)")
            for (id, data) in [first, second] {
                #expect(try await c.data(id) == data)
                #expect(try await c.image(id)?["status"] as? String == "active")
            }
        }

        /// The requests region B's uWSGI logged (`regions/region-b/log/uwsgi.log`): "METHOD PATH" lines.
        func requestsLogged(by region: String) throws -> [String] {
            let home = try #require(RealRegions.home, "GLANCE_HOME is not set")
            let log = try String(contentsOfFile: "\(home)/regions/\(region)/log/uwsgi.log", encoding: .utf8)
            return log.split(separator: "\n").compactMap { line in
                guard let end = line.range(of: " => generated") else { return nil }
                let head = line[..<end.lowerBound]
                guard let method = head.range(of: "] ", options: .backwards) else { return nil }
                return String(head[method.upperBound...])
            }
        }

        @Test func theImportFlowWorksWhereUploadsAreAllowedToo() async throws {
            let (id, data) = try await seed(size: 2 * Self.mib, name: "import-forced")
            let run = try await CLIRunner.run(
                ["replicate", a.root, b.root, "--upload-method", "import"] + stateArguments()
            )
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try await b.data(id) == data)
            // Region B's own access log: the data was staged and imported, never PUT to /file.
            let requests = try requestsLogged(by: "region-b")
            #expect(requests.contains("PUT /v2/images/\(id)/stage"), "\(requests.suffix(20))")
            #expect(requests.contains("POST /v2/images/\(id)/import"), "\(requests.suffix(20))")
            #expect(!requests.contains("PUT /v2/images/\(id)/file"))
        }

        @Test func copiesLandInEveryStoreAskedFor() async throws {
            // The test regions have two file stores, fs (the default) and fs2 (scripts/glance-regions).
            let (fresh, freshData) = try await seed(size: 2 * Self.mib, name: "stores-new")
            let state = stateArguments()
            let run = try await CLIRunner.run(["replicate", a.root, b.root, "--stores", "fs,fs2"] + state)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try await b.image(fresh)?["stores"] as? String == "fs,fs2")
            #expect(try await b.data(fresh) == freshData)

            // An image already in sync in the default store only is missing in the other.
            let (old, _) = try await seed(size: Self.mib, name: "stores-old")
            #expect(try await CLIRunner.run(["replicate", a.root, b.root] + state).status == 0)
            #expect(try await b.image(old)?["stores"] as? String == "fs")
            let plan = try await CLIRunner.run([
                "replicate", a.root, b.root, "--all-stores", "--dry-run", "--format", "json",
            ])
            #expect(plan.status == 1, "stderr: \(plan.stderr)")
            #expect(try plan.images()[old]?["state"] as? String == "missing_in_stores")
            #expect(try plan.images()[old]?["action"] as? String == "copy_to_stores")
            #expect(try plan.summary()["missing_in_stores"] == 1)
            let fill = try await CLIRunner.run(["replicate", a.root, b.root, "--all-stores"] + state)
            #expect(fill.status == 0, "stderr: \(fill.stderr)")
            let stores = (try await b.image(old)?["stores"] as? String ?? "").split(separator: ",").sorted()
            #expect(stores == ["fs", "fs2"])
            let again = try await CLIRunner.run(["compare", a.root, b.root])
            #expect(again.status == 0, "stderr: \(again.stderr)")
        }

        @Test func anUnknownStoreIsAUsageError() async throws {
            let run = try await CLIRunner.run(["replicate", a.root, b.root, "--stores", "fs,nowhere"])
            #expect(run.status == 2)
            #expect(run.stderr.contains("no store 'nowhere'") && run.stderr.contains("fs2"), "\(run.stderr)")
        }

        @Test func webDownloadLetsTheTargetFetchTheDataItself() async throws {
            // The test regions serve data without a token and allow 127.0.0.1 in [import_filtering_opts].
            let (id, data) = try await seed(size: 2 * Self.mib + 3, name: "web-download")
            try await a.patch(id, [["op": "add", "path": "/build_host", "value": "ci-9"]])
            // The source behind the proxy: the target fetches the data through it, and the proxy tells whose
            // requests carried the bytes by their User-Agent.
            let proxy = try FaultProxy(upstream: a.root, [])
            let run = try await CLIRunner.run(
                ["replicate", proxy.root, b.root, "--transfer-mode", "web-download", "--format", "json"]
                    + stateArguments()
            )
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let byAgent = try proxy.stats()["download_body_bytes_by_agent"] as? [String: Int] ?? [:]
            #expect(byAgent["glance-replicator", default: 0] == 0, "the tool read image bytes: \(byAgent)")
            #expect(try proxy.count("download_body_bytes") == data.count, "the target fetched it once: \(byAgent)")
            #expect(try run.json()["bytes_read"] as? Int == 0, "and the report says so")
            #expect(try await b.data(id) == data)
            #expect(try await b.image(id)?["build_host"] as? String == "ci-9")
            #expect(try await CLIRunner.run(["compare", a.root, b.root]).status == 0)
        }

        /// A job file's `bwlimit` list paces the target it names, and only that one: run for real, target B
        /// holds the copy long before the paced target C does.
        @Test func aJobFileMayLimitOneOfItsTargets() async throws {
            let c = try #require(RealRegions.c, "GLANCE_REGION_C_URL is not set: scripts/test starts a third region")
            let (id, data) = try await seed(size: 4 * Self.mib, name: "job-limited")
            let state = stateArguments()
            let file = ScratchDirectory.unusedURL("job").appendingPathExtension("yaml")
            try """
            source: \(a.root)
            targets: [\(b.root), \(c.root)]
            bwlimit: [50M, "\(c.root)=1M"]
            spool: [always, \(state[3])]
            max-duration: 1h
            state: \(state[1])
            """.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let check = try await CLIRunner.run(["replicate", "--config", file.path, "--check-args"])
            #expect(check.status == 0, "stderr: \(check.stderr)")
            let clock = ContinuousClock()
            let started = clock.now
            let run = try CLIRunner.start(["replicate", "--config", file.path])
            var unpaced: Duration?
            while unpaced == nil, clock.now - started < .seconds(120) {
                if try await b.image(id)?["status"] as? String == "active" { unpaced = clock.now - started }
                try await Task.sleep(for: .milliseconds(50))
            }
            let result = try await run.finish()
            let total = clock.now - started
            #expect(result.status == 0, "stderr: \(result.stderr)")
            // 4 MiB at 1 MiB/s into C, less the quarter-second burst.
            #expect(total >= .milliseconds(3500), "took \(total)")
            let early = try #require(unpaced, "B never held the copy")
            #expect(early * 2 < total, "B held the copy after \(early), the run took \(total)")
            #expect(try await b.data(id) == data)
            #expect(try await c.data(id) == data)
        }

        /// Spool files left by earlier runs (an image gone from its source, a copy never resumed) are deleted by the
        /// next run once no run has touched them for 7 days, or for `--spool-max-age`; younger ones are kept.
        @Test func spoolFilesOlderThanTheMaxAgeAreDeleted() async throws {
            let (id, data) = try await seed(size: 300_000, name: "max-age")
            let state = stateArguments()
            let folder = state[state.firstIndex(of: "--spool")! + 1] + "/left-by-earlier-runs"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let ages: [String: TimeInterval] = [
                "three-hours.part": 3 * 3600, "one-hour.part": 3600, "six-days.part": 6 * 86400,
            ]
            for (name, age) in ages {
                let path = "\(folder)/\(name)"
                try Data("left".utf8).write(to: URL(fileURLWithPath: path))
                try FileManager.default.setAttributes([.modificationDate: Date() - age], ofItemAtPath: path)
            }
            func left() throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: folder)) }
            // The default, 7 days: all kept.
            let first = try await CLIRunner.run(["replicate", a.root, b.root] + state)
            #expect(first.status == 0, "stderr: \(first.stderr)")
            #expect(try left() == Set(ages.keys))
            #expect(try await b.data(id) == data)
            // Two hours: those older go, the younger one stays.
            let second = try await CLIRunner.run(["replicate", a.root, b.root, "--spool-max-age", "2h"] + state)
            #expect(second.status == 0, "stderr: \(second.stderr)")
            #expect(try left() == ["one-hour.part"])
        }

        @Test func badLimitsAreUsageErrors() async throws {
            for arguments in [
                ["--bwlimit", "fast"], ["--max-duration", "soon"], ["--spool-max", "-1"], ["--order", "random"],
                ["--spool-max-age", "0"], ["--spool-max-age", "a week"],
            ] {
                let run = try await CLIRunner.run(["replicate", a.root, b.root] + arguments)
                #expect(run.status == 2, "\(arguments): \(run.stderr)")
                #expect(run.stderr.contains(arguments[0]), "\(arguments): \(run.stderr)")
            }
        }
    }
}
