import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Several images in flight at once against the real MariaDB-backed regions, as users run the tool (its default
/// `--concurrency` of 4, or more): the scheduler, the budgets, signals, the rate limiters, the spool limit, the
/// journal, the import fallbacks, metadata repairs and prune deletions. Each test asserts on what a user sees:
/// the target's records and hashes, the exit code, the report, the journal, and the source's bytes counted at
/// scripts/fault-proxy. Nested in the serialized suite because it shares the regions.
extension ReplicationTests {
    @Suite("Concurrent copies: several images in flight", .serialized)
    struct ConcurrencyTests {
        let a: GlanceTestClient
        let b: GlanceTestClient
        static let mib = 1 << 20

        init() async throws {
            (a, b) = try await RealRegions.emptiedAB()
            try await RealRegions.c?.wipe()
        }

        /// `count` public images on A named `prefix-NN`, of `size` bytes each (or the sizes given).
        func seed(_ prefix: String, sizes: [Int]) async throws -> [(id: String, data: Data)] {
            var seeded: [(id: String, data: Data)] = []
            for (index, size) in sizes.enumerated() {
                let id = newID()
                let data = randomData(size)
                let name = "\(prefix)-\(index < 10 ? "0" : "")\(index)"
                try await a.seed(id, data: data, ["name": name, "visibility": "public"])
                seeded.append((id, data))
            }
            return seeded
        }

        func stateArguments() -> (arguments: [String], spool: String) {
            let base = ScratchDirectory.unusedURL("conc")
            let spool = base.appendingPathComponent("spool").path
            return (["--state", base.appendingPathComponent("state.sqlite").path, "--spool", spool], spool)
        }

        /// The target holds each image active, with the source's bytes (and so its hashes).
        func expectCopied(
            _ images: [(id: String, data: Data)],
            on region: GlanceTestClient,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            for image in images {
                let record = try await region.image(image.id)
                #expect(record?["status"] as? String == "active", "\(image.id)", sourceLocation: sourceLocation)
                // The md5 checksum: region C records a sha256 multihash where A records sha512.
                #expect(
                    record?["checksum"] as? String == (try await a.image(image.id))?["checksum"] as? String,
                    sourceLocation: sourceLocation
                )
                #expect(try await region.data(image.id) == image.data, sourceLocation: sourceLocation)
            }
        }

        /// The `--log-format json` lines of a run's stderr.
        static func events(_ stderr: String) -> [[String: Any]] {
            stderr.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        static func results(_ run: CLIResult, target index: Int = 0) throws -> [String: String] {
            let targets = try run.json()["targets"] as? [[String: Any]] ?? []
            let images = targets.indices.contains(index) ? targets[index]["images"] as? [[String: Any]] ?? [] : []
            var results: [String: String] = [:]
            for image in images {
                if let id = image["id"] as? String { results[id] = image["result"] as? String }
            }
            return results
        }

        /// The journal's newest run, as `status --format json` shows it.
        static func lastRun(_ state: [String]) async throws -> [String: Any] {
            let status = try await CLIRunner.run(["status", "--format", "json"] + state)
            #expect(status.status == 0, "stderr: \(status.stderr)")
            return (try status.json()["runs"] as? [[String: Any]])?.first ?? [:]
        }

        static func spoolParts(_ directory: String) -> [String: Int] {
            var parts: [String: Int] = [:]
            let walker = FileManager.default.enumerator(atPath: directory)
            for case let relative as String in walker?.allObjects ?? [] where relative.hasSuffix(".part") {
                let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + relative)
                parts[relative] = (attributes?[.size] as? NSNumber)?.intValue ?? 0
            }
            return parts
        }

        /// Waits (polling) until `condition` holds; fails the test after `seconds`.
        static func waitUntil(
            _ what: String,
            seconds: Double = 60,
            _ condition: () async throws -> Bool
        ) async throws {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if try await condition() { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw CLIRunner.Failure(description: "timed out waiting until \(what)")
        }

        /// The report's `lowest_upload_limit` of the first target.
        static func lowestUploadLimit(_ run: CLIResult) throws -> Int? {
            (try run.json()["targets"] as? [[String: Any]])?.first?["lowest_upload_limit"] as? Int
        }

        // MARK: the scheduler

        /// A slow large image does not hold the other slots: while it copies, the scheduler keeps refilling the
        /// other three with the small images, each read from the source once; the journal records the run.
        @Test func theSchedulerRefillsItsSlotsWhileALargeCopyRuns() async throws {
            let big = try await seed("a-big", sizes: [12 * Self.mib])
            let small = try await seed("b-small", sizes: Array(repeating: 200_000, count: 11))
            let proxy = try FaultProxy(upstream: a.root, ["--throttle", "\(3 * Self.mib)"])
            let state = stateArguments()
            let run = try await CLIRunner.run(
                ["replicate", proxy.root, b.root, "--order", "name", "--log-format", "json", "--format", "json"]
                    + state.arguments
            )
            #expect(run.status == 0, "stderr: \(run.stderr.suffix(3000))")
            try await expectCopied(big + small, on: b)
            #expect(try proxy.count("downloads") == 12)
            #expect(try proxy.count("download_body_bytes") == (big + small).reduce(0) { $0 + $1.data.count })
            let copied = Self.events(run.stderr).filter { $0["message"] as? String == "copied" }
                .compactMap { $0["image_id"] as? String }
            #expect(copied.count == 12)
            // Started first (--order name), finished last: eleven copies went through the other slots meanwhile.
            #expect(copied.last == big[0].id, "copy order: \(copied)")
            let journal = try await Self.lastRun(state.arguments)
            #expect(journal["outcome"] as? String == "done")
            #expect(journal["copied"] as? Int == 12)
            #expect(try Self.lowestUploadLimit(run) == 4, "a MariaDB-backed region copes with four at once")
        }

        /// `--max-transfer` with four copies at once: exactly what fits is started, nothing more is read, and
        /// the next run copies the rest.
        @Test func maxTransferAdmitsWhatFitsWithSeveralCopiesRunning() async throws {
            let images = try await seed("budget", sizes: Array(repeating: Self.mib, count: 8))
            let proxy = try FaultProxy(upstream: a.root, [])
            let state = stateArguments()
            let run = try await CLIRunner.run(
                ["replicate", proxy.root, b.root, "--max-transfer", "5M", "--format", "json"] + state.arguments
            )
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let results = try Self.results(run)
            let done = images.filter { results[$0.id] == "done" }
            #expect(done.count == 5, "\(results)")
            #expect(images.filter { results[$0.id] == "deferred" }.count == 3, "\(results)")
            #expect(try proxy.count("download_body_bytes") == 5 * Self.mib)
            try await expectCopied(done, on: b)
            #expect(try await b.allImages().count == 5)
            let next = try await CLIRunner.run(["replicate", a.root, b.root] + state.arguments)
            #expect(next.status == 0, "stderr: \(next.stderr)")
            try await expectCopied(images, on: b)
        }

        /// `--max-duration` with four copies at once: those under way finish, none starts after the limit.
        @Test func maxDurationLetsTheRunningCopiesFinishAndStartsNoMore() async throws {
            let images = try await seed("duration", sizes: Array(repeating: 3 * Self.mib, count: 8))
            let proxy = try FaultProxy(upstream: a.root, ["--throttle", "\(2 * Self.mib)"])
            let run = try await CLIRunner.run(
                ["replicate", proxy.root, b.root, "--max-duration", "1s", "--format", "json"]
                    + stateArguments().arguments
            )
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let results = try Self.results(run)
            let done = images.filter { results[$0.id] == "done" }
            #expect(done.count == 4, "the four started at once finish: \(results)")
            #expect(images.filter { results[$0.id] == "deferred" }.count == 4, "\(results)")
            try await expectCopied(done, on: b)
            #expect(try await b.allImages().count == 4, "nothing half-made of the deferred images")
            #expect(try proxy.count("downloads") == 4)
        }

        // MARK: signals

        /// SIGTERM with four uploads open: exit 143, every image `interrupted`, no record on the target active
        /// or half-made (each is queued, or absent), and a rerun completes them all without reading much again.
        @Test func sigtermWithSeveralUploadsOpenLeavesEveryRecordQueued() async throws {
            let size = 8 * Self.mib
            let images = try await seed("sigterm", sizes: Array(repeating: size, count: 4))
            let state = stateArguments()
            let slow = try FaultProxy(upstream: a.root, ["--throttle", "\(2 * Self.mib)"])
            let port = slow.port
            let run = try CLIRunner.start(["replicate", slow.root, b.root, "--format", "json"] + state.arguments)
            try await Self.waitUntil("four downloads are under way") {
                try slow.count("downloads") == 4 && slow.count("download_body_bytes") >= 4 * Self.mib
            }
            // Every upload follows its download through the spool: all four are open on the target.
            try await Self.waitUntil("four uploads are open") {
                var saving = 0
                for image in images {
                    if try await b.image(image.id)?["status"] as? String == "saving" { saving += 1 }
                }
                return saving == 4
            }
            run.signal(SIGTERM)
            let stopped = try await run.finish()
            let readBefore = try slow.count("download_body_bytes")
            slow.stop()
            #expect(stopped.status == 143, "stderr: \(stopped.stderr)")
            #expect(try stopped.json()["interrupted_by"] as? String == "SIGTERM")
            let results = try Self.results(stopped)
            #expect(images.allSatisfy { results[$0.id] == "interrupted" }, "\(results)")
            for image in images {
                var record = try await b.image(image.id)
                // Glance returns a cut-off upload's image to queued once it notices the broken connection.
                for _ in 0..<50 where record?["status"] as? String == "saving" {
                    try await Task.sleep(for: .milliseconds(200))
                    record = try await b.image(image.id)
                }
                #expect(record == nil || record?["status"] as? String == "queued", "\(record ?? [:])")
            }
            let proxy = try FaultProxy(upstream: a.root, ["--listen", "127.0.0.1:\(port)"])
            let again = try await CLIRunner.run(
                ["replicate", proxy.root, b.root, "--format", "json"] + state.arguments
            )
            #expect(again.status == 0, "stderr: \(again.stderr)")
            try await expectCopied(images, on: b)
            #expect(try await b.allImages().count == 4, "the rerun filled the same records, made no others")
            // The spool kept what was read: the rerun resumes each download instead of starting over.
            let total = readBefore + (try proxy.count("download_body_bytes"))
            #expect(total <= 4 * size + 4 * 8 * Self.mib, "read \(total) bytes over both runs for \(4 * size)")
        }

        // MARK: rate limits

        /// `--bwlimit TARGET=RATE` paces that target's uploads only: the other target holds every copy long
        /// before the paced one does.
        @Test func aTargetsRateLimitDoesNotSlowTheOtherTarget() async throws {
            let c = try #require(RealRegions.c, "GLANCE_REGION_C_URL is not set: scripts/test starts a third region")
            let images = try await seed("paced", sizes: Array(repeating: 2 * Self.mib, count: 3))
            let clock = ContinuousClock()
            let started = clock.now
            let run = try CLIRunner.start(
                ["replicate", a.root, b.root, c.root, "--bwlimit", "\(c.root)=1M"] + stateArguments().arguments
            )
            var unpacedDone: Duration?
            while unpacedDone == nil {
                var active = 0
                for image in images {
                    if try await b.image(image.id)?["status"] as? String == "active" { active += 1 }
                }
                if active == images.count { unpacedDone = clock.now - started }
                try await Task.sleep(for: .milliseconds(50))
                if clock.now - started > .seconds(120) { break }
            }
            let result = try await run.finish()
            let total = clock.now - started
            #expect(result.status == 0, "stderr: \(result.stderr)")
            // 6 MiB at 1 MiB/s into C: at least 5 s; B gets its copies at full speed meanwhile.
            #expect(total >= .seconds(5), "took \(total)")
            let early = try #require(unpacedDone, "B never held every copy")
            #expect(early * 2 < total, "B held every copy after \(early), the whole run took \(total)")
            try await expectCopied(images, on: b)
            try await expectCopied(images, on: c)
        }

        /// `--bwlimit RATE` paces the whole run however many copies run at once.
        @Test func theRunsRateLimitPacesSeveralCopiesTogether() async throws {
            let images = try await seed("run-paced", sizes: Array(repeating: 2 * Self.mib, count: 4))
            let clock = ContinuousClock()
            let started = clock.now
            let run = try await CLIRunner.run(
                ["replicate", a.root, b.root, "--bwlimit", "2M", "--concurrency", "4"] + stateArguments().arguments
            )
            let elapsed = clock.now - started
            #expect(run.status == 0, "stderr: \(run.stderr)")
            // 8 MiB at 2 MiB/s in all, less the half-second burst: not 4 x 2 MiB/s.
            #expect(elapsed >= .milliseconds(3500), "took \(elapsed)")
            try await expectCopied(images, on: b)
        }

        // MARK: the spool

        /// `--spool-max` below two images: each copy waits for the spool room of the one before rather than
        /// streaming past the limit; the spool never holds more than the limit.
        @Test func spoolMaxMakesCopiesWaitForRoom() async throws {
            let images = try await seed("spool-max", sizes: Array(repeating: 6 * Self.mib, count: 4))
            let state = stateArguments()
            let proxy = try FaultProxy(upstream: a.root, ["--throttle", "\(8 * Self.mib)"])
            let run = try CLIRunner.start(
                ["replicate", proxy.root, b.root, "--spool", "always", "--spool-max", "10M", "--format", "json"]
                    + state.arguments
            )
            var seen: Set<String> = []
            var most = 0
            var mostFiles = 0
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline {
                let parts = Self.spoolParts(state.spool)
                seen.formUnion(parts.keys)
                most = max(most, parts.values.reduce(0, +))
                mostFiles = max(mostFiles, parts.count)
                if try proxy.count("download_body_bytes") >= 4 * 6 * Self.mib, parts.isEmpty { break }
                usleep(20_000)
            }
            let result = try await run.finish()
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(most <= 10 * Self.mib, "the spool held \(most) bytes")
            #expect(mostFiles == 1, "one image at a time fits")
            #expect(seen.count == 4, "every image went through the spool (none streamed past the limit): \(seen)")
            #expect(try proxy.count("download_body_bytes") == 4 * 6 * Self.mib)
            try await expectCopied(images, on: b)
        }

        // MARK: imports

        /// A target that refuses `PUT /file` met by four copies at once: each falls back to the import flow,
        /// and every image lands.
        @Test func severalCopiesReachTheImportFallbackAtOnce() async throws {
            let c = try #require(RealRegions.c, "GLANCE_REGION_C_URL is not set: scripts/test starts a third region")
            let images = try await seed("fallback", sizes: Array(repeating: 1 * Self.mib + 11, count: 6))
            let run = try await CLIRunner.run(
                ["replicate", a.root, c.root, "--log-format", "json", "--format", "json"] + stateArguments().arguments
            )
            #expect(run.status == 0, "stderr: \(run.stderr.suffix(3000))")
            try await expectCopied(images, on: c)
            let events = Self.events(run.stderr)
            // Region C forbids PUT /file (scripts/test): every image arrived through the import flow.
            let refusals = events.filter {
                ($0["message"] as? String)?.contains("switching to the glance-direct import") == true
            }
            #expect(!refusals.isEmpty, "no word of the import fallback in the log")
            #expect(try Self.results(run).values.allSatisfy { $0 == "done" })
        }

        /// glance-direct imports and copy-image imports into a second store, several at once: every image is
        /// active in both stores with the source's hashes.
        @Test func concurrentImportsIntoTwoStores() async throws {
            let images = try await seed("imports", sizes: Array(repeating: 1 * Self.mib + 5, count: 6))
            let run = try await CLIRunner.run(
                ["replicate", a.root, b.root, "--upload-method", "import", "--stores", "fs,fs2", "--concurrency", "6"]
                    + stateArguments().arguments
            )
            #expect(run.status == 0, "stderr: \(run.stderr.suffix(3000))")
            try await expectCopied(images, on: b)
            for image in images {
                let stores = (try await b.image(image.id)?["stores"] as? String ?? "").split(separator: ",").sorted()
                #expect(stores == ["fs", "fs2"], "\(image.id)")
            }
            #expect(try await CLIRunner.run(["compare", a.root, b.root]).status == 0)
        }

        // MARK: metadata and prune

        /// Metadata repairs (PATCH) and prune deletions (DELETE) of many images at once.
        @Test func concurrentPatchesAndPruneDeletions() async throws {
            let images = try await seed("patch-prune", sizes: Array(repeating: 1000, count: 16))
            let first = try await CLIRunner.run(["replicate", a.root, b.root] + stateArguments().arguments)
            #expect(first.status == 0, "stderr: \(first.stderr)")
            let gone = images.prefix(6)
            let drifted = images.suffix(8)
            for image in gone { try await a.call("DELETE", "/v2/images/\(image.id)", expect: [204]) }
            for image in drifted {
                try await a.patch(
                    image.id,
                    [["op": "add", "path": "/build_host", "value": "ci-\(image.id.prefix(4))"]]
                )
            }
            let run = try await CLIRunner.run(
                ["replicate", a.root, b.root, "--prune", "--concurrency", "8", "--format", "json"]
                    + stateArguments().arguments
            )
            #expect(run.status == 0, "stderr: \(run.stderr)")
            for image in gone { #expect(try await b.image(image.id) == nil, "pruned \(image.id)") }
            for image in drifted {
                #expect(try await b.image(image.id)?["build_host"] as? String == "ci-\(image.id.prefix(4))")
            }
            #expect(try await b.allImages().count == 10)
            #expect(try await CLIRunner.run(["compare", a.root, b.root]).status == 0)
        }

        // MARK: an overloaded target

        /// Region S keeps its catalog in SQLite (scripts/test), which answers even two concurrent uploads with
        /// 500 "database is locked" now and then, and Glance may then leave the image `saving` for good. At
        /// --concurrency 8 the tool gives S fewer uploads at once as it answers so (the report's
        /// lowest_upload_limit, the -v log); every image is either copied with the source's hashes or
        /// reported failed with its error, never left half-made and active. (No limit can save the images
        /// already in flight when the first overload answer comes; against SQLite, --concurrency 1 does.)
        @Test func anOverloadedTargetGetsFewerUploadsAtOnce() async throws {
            let s = try #require(
                RealRegions.environment["GLANCE_REGION_S_URL"].map(GlanceTestClient.init),
                "GLANCE_REGION_S_URL is not set: scripts/test starts a SQLite-backed region-s"
            )
            // Best effort: SQLite may have half-recorded a deletion (status `deleted` still listed, and every
            // DELETE of it answered 400); the images of this test have ids of their own anyway.
            try? await s.wipe()
            let sizes = (0..<30).map { 100_000 + 97_000 * $0 }
            let images = try await seed("overload", sizes: sizes)
            let run = try await CLIRunner.run(
                ["replicate", a.root, s.root, "--concurrency", "8", "-v", "--format", "json"]
                    + stateArguments().arguments
            )
            #expect([0, 3].contains(run.status), "stderr: \(run.stderr.suffix(4000))")
            let lowest = try #require(try Self.lowestUploadLimit(run))
            #expect(lowest < 8, "S answered with overloads: its limit went down (to \(lowest))")
            #expect(run.stderr.contains("target overloaded: fewer uploads at once"), "the -v log says so")
            let results = try Self.results(run)
            let done = images.filter { results[$0.id] == "done" }
            try await expectCopied(done, on: s)
            let failed = images.filter { results[$0.id] == "failed" }
            #expect(done.count + failed.count == images.count, "\(results)")
            for image in failed {
                let record = try await s.image(image.id)
                #expect(record?["status"] as? String != "active", "a failed copy is never left active")
            }
            try? await s.wipe()
        }
    }
}
