import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `sync` across the three real regions A, B and C (C hashes with sha256 and takes data only through
/// imports), through the built binary. Nested in the serialized suite because it shares the regions.
extension ReplicationTests {
    @Suite("Sync: N regions converge on one catalog", .serialized)
    struct SyncTests {
        let a: GlanceTestClient
        let b: GlanceTestClient
        let c: GlanceTestClient
        static let mib = 1 << 20
        static let provenance = "glance_replicator_source"

        init() async throws {
            (a, b) = try await RealRegions.emptiedAB()
            c = try #require(RealRegions.c, "GLANCE_REGION_C_URL is not set: scripts/test starts a third region")
            try await c.wipe()
        }

        /// A fresh journal and spool for one test.
        func stateArguments() -> [String] {
            let base = ScratchDirectory.unusedURL("sync")
            return [
                "--state", base.appendingPathComponent("state.sqlite").path, "--spool",
                base.appendingPathComponent("spool").path,
            ]
        }

        /// An active image native to `region`; region C takes data only through the glance-direct import.
        func seed(
            _ region: GlanceTestClient,
            size: Int,
            name: String,
            _ fields: [String: Any] = [:]
        ) async throws
            -> (id: String, data: Data)
        {
            let id = newID()
            let data = randomData(size)
            let fields = ["name": name, "visibility": "public"].merging(fields) { $1 }
            guard region.root == c.root else {
                try await region.seed(id, data: data, fields)
                return (id, data)
            }
            // SQLite-backed test Glance sometimes answers a stage with 500 "database is locked": a fresh id, again.
            for attempt in 1...3 {
                let id = attempt == 1 ? id : newID()
                do {
                    try await region.create(fields.merging(["id": id]) { $1 })
                    try await region.call(
                        "PUT",
                        "/v2/images/\(id)/stage",
                        body: data,
                        contentType: "application/octet-stream",
                        expect: [204]
                    )
                    let method = try JSONSerialization.data(withJSONObject: ["method": ["name": "glance-direct"]])
                    try await region.call("POST", "/v2/images/\(id)/import", body: method, expect: [202])
                    for _ in 0..<600 {
                        if try await region.image(id)?["status"] as? String == "active" { return (id, data) }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    throw CLIRunner.Failure(description: "the import of \(id) into region C never finished")
                } catch  where attempt < 3 {
                    _ = try? await region.call("DELETE", "/v2/images/\(id)", expect: [204, 404])
                    try await Task.sleep(for: .seconds(1))
                }
            }
            throw CLIRunner.Failure(description: "region C never took a seeded image")
        }

        /// `glance-manage db purge` then `purge_images_table` on region C: Glance refuses a deleted image's id
        /// until its rows are purged, as an operator would do before an id can be used again.
        func purgeDeletedImagesOfC() throws {
            let home = try #require(RealRegions.home, "GLANCE_HOME is not set")
            let environment = ProcessInfo.processInfo.environment
            let venv =
                environment["GLANCE_VENV"]
                ?? "\(environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache")/glance-replicator/glance-venv"
            let config = "\(home)/regions/region-c/etc/glance-api.conf"
            let scratch = try ScratchDirectory("purge")
            defer { scratch.remove() }
            for command in [["purge"], ["purge_images_table"]] {
                let child = try ChildProcess(
                    ["\(venv)/bin/glance-manage", "--config-file", config, "db"] + command
                        + ["--age_in_days", "0", "--max_rows", "-1"],
                    environment: environment,
                    stdout: scratch.file("out"),
                    stderr: scratch.file("err")
                )
                #expect(child.wait() == 0)
            }
        }

        /// The JSON report's rows by image id, and each row's cells by region.
        func matrix(_ result: CLIResult) throws -> [String: [String: [String: Any]]] {
            let images = try result.json()["images"] as? [[String: Any]] ?? []
            var rows: [String: [String: [String: Any]]] = [:]
            for image in images {
                guard let id = image["id"] as? String else { continue }
                var cells: [String: [String: Any]] = [:]
                for cell in image["cells"] as? [[String: Any]] ?? [] {
                    if let region = cell["region"] as? String { cells[region] = cell }
                }
                rows[id] = cells
            }
            return rows
        }

        func property(_ region: GlanceTestClient, _ id: String, _ key: String) async throws -> String? {
            try await region.image(id)?[key] as? String
        }

        @Test func imagesNativeToDifferentRegionsConvergeInOneRunAndASecondRunDoesNothing() async throws {
            let x = try await seed(a, size: 3 * Self.mib + 5, name: "ubuntu-24.04", ["os_distro": "ubuntu"])
            let y = try await seed(b, size: 2 * Self.mib, name: "windows-2022", ["os_type": "windows"])
            let z = try await seed(c, size: 1 * Self.mib + 1, name: "gpu-tools", ["visibility": "community"])
            let proxies = try [a, b, c].map { try FaultProxy(upstream: $0.root, []) }
            let roots = proxies.map(\.root)
            let state = stateArguments()

            let plan = try await CLIRunner.run(["sync"] + roots + ["--dry-run", "--format", "json"] + state)
            #expect(plan.status == 1, "stderr: \(plan.stderr)")
            #expect(try plan.json()["command"] as? String == "sync")
            let planned = try matrix(plan)
            #expect(planned[x.id]?[roots[0]]?["state"] as? String == "origin")
            #expect(planned[x.id]?[roots[1]]?["action"] as? String == "copy")
            #expect(planned[z.id]?[roots[0]]?["result"] as? String == "planned")
            for region in [a, b, c] { #expect(try await region.allImages().count == 1, "a dry run writes nothing") }
            #expect(try proxies.map { try $0.count("listings") } == [2, 2, 2], "visible and hidden: one listing each")

            let scratch = try ScratchDirectory("sync-report")
            defer { scratch.remove() }
            let files = ["--report", scratch.file("run.json"), "--report-html", scratch.file("run.html")]
            let run = try await CLIRunner.run(["sync"] + roots + ["--format", "json"] + files + state)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let valid = try Repository.run("scripts/validate-report", [scratch.file("run.json")])
            #expect(valid.status == 0, "\(valid.stderr)")
            let html = try String(contentsOfFile: scratch.file("run.html"), encoding: .utf8)
            #expect(html.contains(x.id) && html.contains("windows-2022") && html.contains("<th>R3</th>"))
            // The check can fail: a cell with an unknown state is refused.
            let tampered = try String(contentsOfFile: scratch.file("run.json"), encoding: .utf8)
                .replacingOccurrences(of: "\"state\" : \"origin\"", with: "\"state\" : \"native\"")
            try tampered.write(toFile: scratch.file("tampered.json"), atomically: true, encoding: .utf8)
            let invalid = try Repository.run("scripts/validate-report", [scratch.file("tampered.json")])
            #expect(invalid.status == 1, "\(invalid.stderr)")
            var originNames: [Int: Set<String>] = [:]
            for (image, origin) in [(x, 0), (y, 1), (z, 2)] {
                for (index, region) in [a, b, c].enumerated() {
                    #expect(try await region.data(image.id) == image.data)
                    let named = try await property(region, image.id, Self.provenance)
                    if index == origin {
                        #expect(named == nil, "the origin's own record carries no provenance")
                    } else {
                        // Copies name their origin by a digest of its URL, never the URL (readable by every
                        // project that sees the image).
                        let name = try #require(named, "copies name their origin")
                        #expect(name.hasPrefix("glance-") && name.count == 19 && !name.contains("127.0.0.1"))
                        originNames[origin, default: []].insert(name)
                    }
                }
            }
            #expect(originNames.values.map(\.count) == [1, 1, 1], "one name per origin")
            #expect(Set(originNames.values.flatMap { $0 }).count == 3, "a name of its own for each origin")
            #expect(try await property(b, x.id, "os_distro") == "ubuntu")
            #expect(try await c.image(z.id)?["visibility"] as? String == "community")
            // Each image read once from its origin, whatever the number of regions lacking it.
            #expect(
                try proxies.map { try $0.count("download_body_bytes") } == [x.data.count, y.data.count, z.data.count]
            )
            #expect(try proxies.map { try $0.count("listings") } == [4, 4, 4])

            let before = try proxies.map { try $0.stats()["methods"] as? [String: Int] ?? [:] }
            let again = try await CLIRunner.run(["sync"] + roots + ["--format", "json"] + state)
            #expect(again.status == 0, "stderr: \(again.stderr)")
            #expect(try proxies.map { try $0.count("listings") } == [6, 6, 6], "each region listed once per run")
            for (proxy, earlier) in zip(proxies, before) {
                let methods = try proxy.stats()["methods"] as? [String: Int] ?? [:]
                for method in ["POST", "PUT", "PATCH", "DELETE"] {
                    #expect(methods[method, default: 0] == earlier[method, default: 0], "\(method) at \(proxy.root)")
                }
            }
            let cells = try matrix(again).values.flatMap(\.values)
            #expect(cells.count == 9)
            #expect(cells.allSatisfy { $0["action"] as? String == "none" })
            #expect(cells.filter { $0["state"] as? String == "origin" }.count == 3)
            #expect(cells.filter { $0["state"] as? String == "in_sync" }.count == 6)
        }

        @Test func originEditsReachEveryCopyAndCopyEditsArePutBack() async throws {
            let x = try await seed(a, size: 1000, name: "edited-at-origin", ["os_distro": "ubuntu"])
            let y = try await seed(b, size: 2000, name: "edited-on-a-copy", ["os_version": "2022"])
            let roots = [a.root, b.root, c.root]
            let state = stateArguments()
            #expect(try await CLIRunner.run(["sync"] + roots + state).status == 0)

            try await a.patch(x.id, [["op": "replace", "path": "/os_distro", "value": "ubuntu-noble"]])
            try await c.patch(y.id, [["op": "replace", "path": "/os_version", "value": "local-edit"]])
            try await c.patch(y.id, [["op": "replace", "path": "/tags", "value": ["local"]]])
            let run = try await CLIRunner.run(["sync"] + roots + ["--format", "json"] + state)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let rows = try matrix(run)
            #expect(rows[x.id]?[b.root]?["state"] as? String == "metadata_drift")
            #expect(rows[y.id]?[c.root]?["action"] as? String == "update_metadata")
            #expect(rows[y.id]?[b.root]?["state"] as? String == "origin")
            for region in [a, b, c] {
                #expect(try await property(region, x.id, "os_distro") == "ubuntu-noble")
                #expect(try await property(region, y.id, "os_version") == "2022", "the copy's edit never wins")
                #expect(try await region.image(y.id)?["tags"] as? [String] == [])
            }
        }

        func status(_ region: GlanceTestClient, _ id: String) async throws -> String? {
            try await property(region, id, "status")
        }

        func setStatus(_ region: GlanceTestClient, _ id: String, _ action: String) async throws {
            try await region.call("POST", "/v2/images/\(id)/actions/\(action)", expect: [204])
        }

        /// An admin deactivates a compromised image where it is native: every copy is deactivated in the next
        /// run, regions lacking it do not get it, and a copy deactivated by hand elsewhere is reactivated;
        /// reactivated at the origin, it is served everywhere again, with its data intact.
        @Test func theOriginsStatusReachesEveryCopy() async throws {
            let x = try await seed(a, size: 1500, name: "compromised", ["os_distro": "ubuntu"])
            let y = try await seed(b, size: 1200, name: "deactivated-on-a-copy")
            let roots = [a.root, b.root, c.root]
            let state = stateArguments()
            #expect(try await CLIRunner.run(["sync"] + roots + state).status == 0)
            let z = try await seed(b, size: 900, name: "withdrawn-before-any-copy")

            try await setStatus(a, x.id, "deactivate")
            try await a.patch(x.id, [["op": "add", "path": "/withdrawn_because", "value": "CVE-2026-0001"]])
            try await setStatus(c, y.id, "deactivate")
            try await setStatus(b, z.id, "deactivate")
            let scratch = try ScratchDirectory("sync-status")
            defer { scratch.remove() }
            let plan = try await CLIRunner.run(
                ["sync"] + roots + ["--dry-run", "--format", "json", "--report", scratch.file("plan.json")] + state
            )
            #expect(plan.status == 1, "stderr: \(plan.stderr)")
            let valid = try Repository.run("scripts/validate-report", [scratch.file("plan.json")])
            #expect(valid.status == 0, "the new states and actions are in the schema: \(valid.stderr)")
            let planned = try matrix(plan)
            for region in [b.root, c.root] {
                #expect(planned[x.id]?[region]?["state"] as? String == "status_drift")
                #expect(planned[x.id]?[region]?["action"] as? String == "deactivate")
            }
            #expect(planned[y.id]?[c.root]?["action"] as? String == "reactivate")
            #expect(planned[z.id]?[a.root]?["state"] as? String == "deactivated_at_origin")
            #expect(planned[z.id]?[c.root]?["action"] as? String == "none")
            #expect(try await status(b, x.id) == "active", "a dry run changes nothing")

            let run = try await CLIRunner.run(["sync"] + roots + ["--format", "json"] + state)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try matrix(run)[x.id]?[c.root]?["result"] as? String == "done")
            for region in [a, b, c] {
                #expect(try await status(region, x.id) == "deactivated")
                #expect(try await property(region, x.id, "withdrawn_because") == "CVE-2026-0001")
                #expect(try await status(region, y.id) == "active")
            }
            #expect(try await a.image(z.id) == nil, "a deactivated image is not copied")
            #expect(try await c.image(z.id) == nil)
            let settled = try await CLIRunner.run(["sync"] + roots + ["--dry-run", "--format", "json"] + state)
            #expect(settled.status == 0, "stdout: \(settled.stdout.suffix(2000))")

            try await setStatus(a, x.id, "reactivate")
            #expect(try await CLIRunner.run(["sync"] + roots + state).status == 0)
            for region in [a, b, c] {
                #expect(try await status(region, x.id) == "active")
                #expect(try await region.data(x.id) == x.data)
            }
        }

        @Test func originDeletionPrunesEveryCopyOnlyWithPruneAndAHandDeletedCopyComesBack() async throws {
            let x = try await seed(a, size: 1000, name: "retired")
            let y = try await seed(b, size: 1500, name: "kept")
            let roots = [a.root, b.root, c.root]
            let state = stateArguments()
            #expect(try await CLIRunner.run(["sync"] + roots + state).status == 0)

            try await a.call("DELETE", "/v2/images/\(x.id)", expect: [204])
            try await c.call("DELETE", "/v2/images/\(y.id)", expect: [204])
            // Glance burns a deleted id until its rows are purged: the run says so, and copies it once purged.
            let refused = try await CLIRunner.run(["sync"] + roots + ["--format", "json"] + state)
            #expect(refused.status == 3, "stderr: \(refused.stderr)")
            #expect(try matrix(refused)[y.id]?[c.root]?["result"] as? String == "failed")
            #expect(refused.stderr.contains("purge_images_table"), "stderr: \(refused.stderr)")
            try purgeDeletedImagesOfC()
            let keep = try await CLIRunner.run(["sync"] + roots + ["--format", "json"] + state)
            #expect(keep.status == 0, "stderr: \(keep.stderr)")
            #expect(try matrix(keep)[x.id]?[b.root]?["state"] as? String == "orphaned")
            #expect(try matrix(keep)[x.id]?[b.root]?["action"] as? String == "ignore")
            #expect(try await b.image(x.id) != nil, "without --prune nothing is deleted")
            #expect(try await c.image(x.id) != nil)
            #expect(try await a.image(x.id) == nil, "an orphan is never copied back to its origin")
            #expect(try await c.data(y.id) == y.data, "a copy deleted by hand is copied again")

            let prune = try await CLIRunner.run(["sync"] + roots + ["--prune", "--format", "json"] + state)
            #expect(prune.status == 0, "stderr: \(prune.stderr)")
            #expect(try matrix(prune)[x.id]?[c.root]?["result"] as? String == "done")
            #expect(try await b.image(x.id) == nil)
            #expect(try await c.image(x.id) == nil)
            for region in [a, b, c] { #expect(try await region.data(y.id) == y.data) }
        }

        @Test func twoOriginsWithDifferentDataAreReportedAndLeftAlone() async throws {
            let id = newID()
            let first = randomData(1000)
            let second = randomData(1000)
            try await a.seed(id, data: first, ["name": "two-origins", "visibility": "public"])
            try await b.seed(id, data: second, ["name": "two-origins", "visibility": "public"])
            let scratch = try ScratchDirectory("sync-metrics")
            defer { scratch.remove() }
            let metrics = scratch.file("sync.prom")
            let run = try await CLIRunner.run(
                ["sync", a.root, b.root, c.root, "--format", "json", "--metrics-file", metrics] + stateArguments()
            )
            #expect(run.status == 3, "stderr: \(run.stderr)")
            // One target series per region, and the run's exit code.
            let text = try String(contentsOfFile: metrics, encoding: .utf8)
            for region in [a, b, c] {
                #expect(text.contains("target=\"\(region.root)\""), "\(text)")
            }
            #expect(text.contains("state=\"data_conflict\"} 1"), "\(text)")
            #expect(text.contains("glance_replicator_run_exit_code{") && text.contains("} 3\n"), "\(text)")
            #expect(run.stderr.contains("data_conflict"))
            let row = try #require(try matrix(run)[id])
            #expect(row[a.root]?["state"] as? String == "data_conflict")
            #expect(row[b.root]?["state"] as? String == "data_conflict")
            #expect(row[c.root]?["action"] as? String == "none")
            #expect(try await a.data(id) == first)
            #expect(try await b.data(id) == second)
            #expect(try await c.image(id) == nil)
        }

        @Test func oneRegionDownTheOthersConvergeExitThreeAndNothingIsDeleted() async throws {
            let x = try await seed(a, size: 1000, name: "from-a")
            let y = try await seed(b, size: 1200, name: "from-b")
            let proxy = try FaultProxy(upstream: b.root, [])
            let port = proxy.port
            let roots = [a.root, proxy.root, c.root]
            let state = stateArguments()
            #expect(try await CLIRunner.run(["sync"] + roots + state).status == 0)
            proxy.stop()

            let z = try await seed(c, size: 1300, name: "from-c")
            let run = try await CLIRunner.run(["sync"] + roots + ["--prune", "--format", "json"] + state)
            #expect(run.status == 3, "stderr: \(run.stderr)")
            #expect(run.stderr.contains("127.0.0.1:\(port)"))
            let report = try run.json()
            let listed = (report["regions"] as? [[String: Any]] ?? []).map { $0["listed"] as? Bool }
            #expect(listed == [true, false, true])
            #expect(try matrix(run)[z.id]?[roots[1]]?["state"] as? String == "unreachable")
            #expect(try await a.data(z.id) == z.data, "the reachable regions converge among themselves")
            for region in [a, c] {
                #expect(try await region.data(y.id) == y.data, "an unreachable origin's copies are kept")
                #expect(try await region.data(x.id) == x.data)
            }
            #expect(try await b.image(z.id) == nil)
        }

        @Test func killedRunIsCompletedByTheNextWithinTheResumeBounds() async throws {
            let size = 40 * Self.mib + 3
            let x = try await seed(a, size: size, name: "big")
            let state = stateArguments()
            let slow = try FaultProxy(upstream: a.root, ["--throttle", "\(6 * Self.mib)"])
            let port = slow.port
            let first = try CLIRunner.start(["sync", slow.root, b.root, c.root] + state)
            for _ in 0..<600 where (try? slow.count("download_body_bytes")) ?? 0 < 12 * Self.mib { usleep(50_000) }
            first.signal(SIGKILL)
            #expect(try await first.finish().status == 128 + SIGKILL)
            let readBefore = try slow.count("download_body_bytes")
            #expect(readBefore >= 12 * Self.mib)
            slow.stop()

            let proxy = try FaultProxy(upstream: a.root, ["--listen", "127.0.0.1:\(port)"])
            let second = try await CLIRunner.run(["sync", proxy.root, b.root, c.root, "--format", "json"] + state)
            #expect(second.status == 0, "stderr: \(second.stderr)")
            let total = readBefore + (try proxy.count("download_body_bytes"))
            #expect(total <= size + 8 * Self.mib, "read \(total) bytes over both runs for \(size)")
            for region in [b, c] {
                #expect(try await region.data(x.id) == x.data)
                #expect(try await region.allImages().count == 1)
            }
        }

        @Test func aJobFileNamesTheRegions() async throws {
            let x = try await seed(a, size: 1000, name: "from-a-by-job")
            let file = ScratchDirectory.unusedURL("mesh").appendingPathExtension("yaml")
            try "regions: [\(a.root), \(b.root), \(c.root)]\ndry-run: true\nformat: json\n".write(
                to: file,
                atomically: true,
                encoding: .utf8
            )
            let run = try await CLIRunner.run(["sync", "--config", file.path])
            #expect(run.status == 1, "stderr: \(run.stderr)")
            #expect(try matrix(run)[x.id]?[c.root]?["action"] as? String == "copy")
        }

        /// `--stores` and `--all-stores`: new copies land in every store asked for, in every region; a copy in
        /// sync in fewer stores is `missing_in_stores` and copied into the rest by the copy-image import; the
        /// origin's own record stays where its users put it. (The test regions have two file stores, fs and fs2.)
        @Test func copiesLandInEveryStoreOfEveryRegion() async throws {
            func stores(_ region: GlanceTestClient, _ id: String) async throws -> [String] {
                (try await region.image(id)?["stores"] as? String ?? "").split(separator: ",").map(String.init).sorted()
            }
            let fromA = try await seed(a, size: Self.mib, name: "sync-stores-a")
            let fromB = try await seed(b, size: Self.mib + 7, name: "sync-stores-b")
            let state = stateArguments()
            let run = try await CLIRunner.run(["sync", a.root, b.root, "--stores", "fs,fs2"] + state)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try await stores(b, fromA.id) == ["fs", "fs2"])
            #expect(try await stores(a, fromB.id) == ["fs", "fs2"])
            #expect(try await b.data(fromA.id) == fromA.data)
            #expect(try await stores(a, fromA.id) == ["fs"])

            // A copy made without --stores is in the default store only: missing_in_stores with --all-stores.
            let later = try await seed(a, size: Self.mib, name: "sync-stores-later")
            #expect(try await CLIRunner.run(["sync", a.root, b.root] + state).status == 0)
            #expect(try await stores(b, later.id) == ["fs"])
            let plan = try await CLIRunner.run([
                "sync", a.root, b.root, "--all-stores", "--dry-run", "--format", "json",
            ])
            #expect(plan.status == 1, "stderr: \(plan.stderr)")
            let cells = try matrix(plan)[later.id]
            #expect(cells?[b.root]?["state"] as? String == "missing_in_stores")
            #expect(cells?[b.root]?["action"] as? String == "copy_to_stores")
            #expect(cells?[a.root]?["state"] as? String == "origin")
            let fill = try await CLIRunner.run(["sync", a.root, b.root, "--all-stores"] + state)
            #expect(fill.status == 0, "stderr: \(fill.stderr)")
            #expect(try await stores(b, later.id) == ["fs", "fs2"])
            #expect(try await b.data(later.id) == later.data)
            let again = try await CLIRunner.run(["sync", a.root, b.root, "--all-stores", "--dry-run"])
            #expect(again.status == 0, "stdout: \(again.stdout)")

            let unknown = try await CLIRunner.run(["sync", a.root, b.root, "--stores", "fs,nowhere"])
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("no store 'nowhere'"), "\(unknown.stderr)")
        }
    }
}

/// `sync`'s command-line contract where no region is needed.
@Suite("Sync: command line")
struct SyncCommandLineTests {
    @Test(arguments: [
        (["sync", "127.0.0.1:1"], "two or more"),
        (["sync", "127.0.0.1:1", "http://127.0.0.1:1"], "given twice"),
        (["sync", "127.0.0.1:1", "127.0.0.1:2", "--source-name", "x"], "--source-name is for replicate"),
        (["sync", "127.0.0.1:1", "127.0.0.1:2", "--bwlimit", "127.0.0.1:3=1M"], "not one of the regions"),
        (["sync", "127.0.0.1:1", "cloud:x/y", "--bwlimit", "cloud:x/z=1M"], "cloud:x/z, which is not one of the"),
        (["sync", "127.0.0.1:1", "127.0.0.1:2", "--bwlimit", "dir:/tmp=1M"], "or a cloud:NAME/REGION location"),
        (["sync", "127.0.0.1:1", "dir:/nonexistent-sync-dump"], "sync cannot write into a dump directory"),
    ])
    func usageErrorsExitTwo(arguments: [String], message: String) async throws {
        let result = try await CLIRunner.run(arguments)
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func noRegionListedIsFatalWithOneLine() async throws {
        let result = try await CLIRunner.run(["sync", "127.0.0.1:1", "127.0.0.1:2", "--dry-run"])
        #expect(result.status == 4)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(lines.first?.hasPrefix("glance-replicator: error: cannot reach http://127.0.0.1:1") == true)
    }

    @Test func helpTeachesWithExamples() async throws {
        let result = try await CLIRunner.run(["sync", "--help"])
        #expect(result.status == 0)
        for needle in ["--dry-run", "--prune", "--max-delete", "--bwlimit", "origin", "data_conflict", "Examples:"] {
            #expect(result.stdout.contains(needle), "help lacks \(needle)")
        }
        #expect(try await CLIRunner.run(["--help"]).stdout.contains("sync"))
    }
}
