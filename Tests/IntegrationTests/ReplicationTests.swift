import Foundation
import Testing

/// The spine against two real Glance 33 regions, through the built binary, as a user runs it.
/// Serialized: every test starts by emptying both catalogs.
@Suite(
    "Replication between real Glance regions",
    .serialized,
    .needsRealRegions
)
struct ReplicationTests {
    let a: GlanceTestClient
    let b: GlanceTestClient

    init() async throws {
        (a, b) = try await RealRegions.emptiedAB()
    }

    /// One image of every kind on region A; returns their ids by role.
    func seedEveryKind() async throws -> [String: String] {
        var ids: [String: String] = [:]
        for role in ["public", "community", "shared", "private", "hidden", "protected", "queued"] {
            ids[role] = newID()
        }
        try await a.seed(
            ids["public"]!,
            data: randomData(300_000),
            [
                "name": "debian-12", "visibility": "public", "os_distro": "debian", "hw_disk_bus": "virtio",
                "tags": ["base", "lts"], "min_disk": 2, "min_ram": 512,
            ]
        )
        try await a.seed(
            ids["community"]!,
            data: randomData(70_000),
            ["name": "community-tool", "visibility": "community"]
        )
        try await a.seed(ids["shared"]!, data: randomData(1000), ["name": "shared-one", "visibility": "shared"])
        try await a.seed(ids["private"]!, data: randomData(1000), ["name": "private-one", "visibility": "private"])
        try await a.seed(
            ids["hidden"]!,
            data: randomData(5000),
            ["name": "old-release", "visibility": "public", "os_hidden": true]
        )
        try await a.seed(
            ids["protected"]!,
            data: randomData(2000),
            ["name": "golden", "visibility": "public", "protected": true]
        )
        try await a.create(["id": ids["queued"]!, "name": "no-data-yet", "visibility": "public"])
        return ids
    }

    @Test func dryRunPlansTheMissingImagesAndWritesNothing() async throws {
        let ids = try await seedEveryKind()
        let result = try await CLIRunner.run(["replicate", a.root, b.root, "--dry-run", "--format", "json"])
        #expect(result.status == 1, "stderr: \(result.stderr)")
        let json = try result.json()
        #expect(json["dry_run"] as? Bool == true)
        #expect(json["schema_version"] as? Int == 1)
        #expect(json["source"] as? String == a.root)
        let images = try result.images()
        // Every in-scope image, the public one without data too (reported, not planned).
        let copyable = [ids["public"]!, ids["community"]!, ids["hidden"]!, ids["protected"]!]
        #expect(Set(images.keys) == Set(copyable + [ids["queued"]!]))
        #expect(images[ids["queued"]!]?["state"] as? String == "no_data")
        #expect(images[ids["queued"]!]?["action"] as? String == "ignore")
        for entry in copyable.compactMap({ images[$0] }) {
            #expect(entry["state"] as? String == "missing")
            #expect(entry["action"] as? String == "copy")
            #expect(entry["result"] as? String == "planned")
        }
        #expect(try result.summary()["missing"] == 4)
        #expect(try result.summary()["bytes_to_copy"] == 300_000 + 70_000 + 5000 + 2000)
        #expect(try await b.allImages().isEmpty)
    }

    @Test func replicateCopiesEveryInScopeImageThenHasNothingToDo() async throws {
        let ids = try await seedEveryKind()
        let first = try await CLIRunner.run(["replicate", a.root, b.root, "--format", "json"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(try first.json()["dry_run"] as? Bool == false)
        #expect(
            try first.images().values.allSatisfy {
                $0["result"] as? String == ($0["state"] as? String == "no_data" ? "skipped" : "done")
            }
        )

        for role in ["public", "community", "hidden", "protected"] {
            let id = ids[role]!
            let source = try #require(try await a.image(id))
            let copy = try #require(try await b.image(id), "\(role) image was not copied")
            #expect(copy["status"] as? String == "active")
            for field in [
                "name", "visibility", "size", "checksum", "os_hash_algo", "os_hash_value", "os_hidden", "protected",
                "min_disk", "min_ram", "disk_format", "container_format",
            ] {
                #expect("\(copy[field] ?? "nil")" == "\(source[field] ?? "nil")", "\(role): \(field)")
            }
            #expect(Set(copy["tags"] as? [String] ?? []) == Set(source["tags"] as? [String] ?? []))
            #expect(try await b.data(id) == a.data(id))
        }
        let copied = try #require(try await b.image(ids["public"]!))
        #expect(copied["os_distro"] as? String == "debian")
        #expect(copied["hw_disk_bus"] as? String == "virtio")
        #expect(try await b.image(ids["protected"]!)?["protected"] as? Bool == true)
        for role in ["shared", "private", "queued"] {
            #expect(try await b.image(ids[role]!) == nil, "\(role) image is out of scope")
        }

        let compare = try await CLIRunner.run(["compare", a.root, b.root, "--format", "json"])
        #expect(compare.status == 0, "stderr: \(compare.stderr)")
        #expect(try compare.summary()["in_sync"] == 4)
        // The public image without data is reported, with its reason, and is not a difference.
        #expect(try compare.summary()["no_data"] == 1)
        #expect(try compare.images()[ids["queued"]!]?["state"] as? String == "no_data")
        let second = try await CLIRunner.run(["replicate", a.root, b.root])
        #expect(second.status == 0)
        #expect(
            second.stdout.contains(
                "summary: 4 in sync, 0 missing, 0 metadata drift, 0 data conflict, 0 extra, 1 without data at source; "
                    + "0 B to copy; 0 done, 0 failed"
            )
        )
    }

    @Test func driftIsReportedThenRepairedWithOnePatch() async throws {
        let id = newID()
        try await a.seed(
            id,
            data: randomData(4096),
            ["name": "ubuntu", "visibility": "public", "os_distro": "ubuntu", "tags": ["a", "b"]]
        )
        #expect(try await CLIRunner.run(["replicate", a.root, b.root]).status == 0)
        try await b.patch(
            id,
            [
                ["op": "replace", "path": "/name", "value": "renamed"],
                ["op": "add", "path": "/local_only", "value": "x"],
                ["op": "remove", "path": "/os_distro"],
                ["op": "replace", "path": "/tags", "value": ["b"]],
                ["op": "replace", "path": "/min_ram", "value": 1024],
                ["op": "replace", "path": "/visibility", "value": "community"],
            ]
        )
        let compare = try await CLIRunner.run(["compare", a.root, b.root, "--format", "json"])
        #expect(compare.status == 1)
        let entry = try #require(try compare.images()[id])
        #expect(entry["state"] as? String == "metadata_drift")
        #expect(entry["action"] as? String == "update_metadata")
        let changes = entry["changes"] as? [[String: Any]] ?? []
        #expect(
            Set(changes.compactMap { $0["field"] as? String }) == [
                "name", "local_only", "os_distro", "tags", "min_ram", "visibility",
            ]
        )
        let name = try #require(changes.first { $0["field"] as? String == "name" })
        #expect(name["source"] as? String == "ubuntu")
        #expect(name["target"] as? String == "renamed")

        let table = try await CLIRunner.run(["compare", a.root, b.root])
        #expect(table.status == 1)
        #expect(table.stdout.contains("name: \"renamed\" -> \"ubuntu\""))

        let repair = try await CLIRunner.run(["replicate", a.root, b.root, "--format", "json"])
        #expect(repair.status == 0, "stderr: \(repair.stderr)")
        #expect(try repair.images()[id]?["result"] as? String == "done")
        let fixed = try #require(try await b.image(id))
        #expect(fixed["name"] as? String == "ubuntu")
        #expect(fixed["local_only"] == nil)
        #expect(fixed["os_distro"] as? String == "ubuntu")
        #expect(fixed["min_ram"] as? Int == 0)
        #expect(fixed["visibility"] as? String == "public")
        #expect(try await CLIRunner.run(["compare", a.root, b.root]).status == 0)
    }

    @Test func dataConflictIsReportedAndNeverOverwritten() async throws {
        let id = newID()
        try await a.seed(id, data: randomData(2048), ["name": "same-id", "visibility": "public"])
        let theirs = randomData(2048)
        try await b.seed(id, data: theirs, ["name": "same-id", "visibility": "public"])
        let compare = try await CLIRunner.run(["compare", a.root, b.root, "--format", "json"])
        #expect(compare.status == 1)
        #expect(try compare.images()[id]?["state"] as? String == "data_conflict")
        let run = try await CLIRunner.run(["replicate", a.root, b.root, "--format", "json"])
        #expect(run.status == 3)
        #expect(try run.images()[id]?["action"] as? String == "conflict")
        #expect(try run.images()[id]?["result"] as? String == "skipped")
        #expect(run.stderr.contains("data_conflict"))
        #expect(try await b.data(id) == theirs)
    }

    @Test func extraTargetImagesAreReportedOnly() async throws {
        let extra = newID()
        try await b.seed(extra, data: randomData(100), ["name": "local-only", "visibility": "community"])
        let compare = try await CLIRunner.run(["compare", a.root, b.root, "--format", "json"])
        #expect(compare.status == 1)
        #expect(try compare.images()[extra]?["state"] as? String == "extra")
        #expect(try compare.images()[extra]?["action"] as? String == "ignore")
        let dryRun = try await CLIRunner.run(["replicate", a.root, b.root, "--dry-run"])
        #expect(dryRun.status == 0, "an extra image is nothing replicate would do")
        #expect(try await CLIRunner.run(["replicate", a.root, b.root]).status == 0)
        #expect(try await b.image(extra) != nil)
    }

    @Test func visibilityOptionWidensTheScope() async throws {
        let ids = try await seedEveryKind()
        let run = try await CLIRunner.run([
            "livecopy", a.root, b.root, "--visibility", "private,shared", "--format", "json",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(Set(try run.images().keys) == [ids["private"]!, ids["shared"]!])
        #expect(try await b.image(ids["private"]!)?["visibility"] as? String == "private")
        #expect(try await b.image(ids["shared"]!)?["visibility"] as? String == "shared")
        #expect(try await b.image(ids["public"]!) == nil)
    }

    @Test func emptyQueuedTargetRecordIsFilled() async throws {
        let id = newID()
        let data = randomData(10_000)
        try await a.seed(id, data: data, ["name": "resumed", "visibility": "public", "os_distro": "alpine"])
        try await b.create(["id": id, "name": "stale", "visibility": "public"])
        let run = try await CLIRunner.run(["replicate", a.root, b.root, "--format", "json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(try run.images()[id]?["state"] as? String == "missing")
        let copy = try #require(try await b.image(id))
        #expect(copy["status"] as? String == "active")
        #expect(copy["name"] as? String == "resumed")
        #expect(copy["os_distro"] as? String == "alpine")
        #expect(try await b.data(id) == data)
    }

    @Test func corruptSourceDataIsNeverActivatedAndLeavesNothingBehind() async throws {
        let home = try #require(RealRegions.home, "GLANCE_HOME is not set")
        let good = newID()
        let bad = newID()
        try await a.seed(good, data: randomData(50_000), ["name": "good", "visibility": "public"])
        try await a.seed(bad, data: randomData(200_000), ["name": "bit-rot", "visibility": "public"])
        // Flip one byte of the stored file behind Glance's back: the source now serves data whose hashes
        // no longer match its record.
        let path = "\(home)/regions/region-a/images/\(bad)"
        let handle = try #require(FileHandle(forUpdatingAtPath: path), "no stored file at \(path)")
        try handle.seek(toOffset: 123_456)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 123_456)
        try handle.write(contentsOf: Data([byte ^ 0xff]))
        try handle.close()

        let run = try await CLIRunner.run(["replicate", a.root, b.root, "--format", "json"])
        #expect(run.status == 3, "stderr: \(run.stderr)")
        let images = try run.images()
        #expect(images[good]?["result"] as? String == "done")
        #expect(images[bad]?["result"] as? String == "failed")
        #expect((images[bad]?["error"] as? String)?.contains("md5") == true)
        #expect(try await b.image(bad) == nil, "the half-made copy must be removed")
        #expect(try await b.allImages().compactMap { $0["id"] as? String } == [good])
        #expect(run.stderr.contains("1 failed"))
    }

    @Test func dontReplicateSkipsProperties() async throws {
        let id = newID()
        try await a.seed(
            id,
            data: randomData(1000),
            ["name": "img", "visibility": "public", "build_host": "ci-7", "os_distro": "rhel"]
        )
        let run = try await CLIRunner.run(["replicate", a.root, b.root, "--dontreplicate", "build_host", "created_at"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let copy = try #require(try await b.image(id))
        #expect(copy["build_host"] == nil)
        #expect(copy["os_distro"] as? String == "rhel")
        try await b.patch(id, [["op": "add", "path": "/build_host", "value": "elsewhere"]])
        #expect(try await CLIRunner.run(["compare", a.root, b.root, "--dontreplicate", "build_host"]).status == 0)
        #expect(try await CLIRunner.run(["compare", a.root, b.root]).status == 1)
    }

    /// A 48 MiB image is streamed, not read whole first: the target's upload is under way (`saving`) while the
    /// source has sent less than half of it (counted at the proxy, which slows the source down), and the source
    /// is read once. The old tool's HOST:PORT form of the source works too.
    @Test(arguments: ["auto", "never"])
    func largerImageStreamsInManyChunks(spool: String) async throws {
        let id = newID()
        let data = randomData(48 * 1024 * 1024 + 17)
        try await a.seed(id, data: data, ["name": "big", "visibility": "public"])
        let proxy = try FaultProxy(upstream: a.root, ["--throttle", "\(12 << 20)"])
        let spoolDirectory = ScratchDirectory.unusedURL("big")
        let run = try CLIRunner.start(
            ["replicate", "127.0.0.1:\(proxy.port)", b.root, "--spool", spool, "--spool", spoolDirectory.path]
        )
        var readWhenSaving: Int?
        let deadline = Date().addingTimeInterval(120)
        while readWhenSaving == nil, Date() < deadline {
            let read = try proxy.count("download_body_bytes")
            if try await b.image(id)?["status"] as? String == "saving" { readWhenSaving = read }
            try await Task.sleep(for: .milliseconds(20))
        }
        let result = try await run.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let early = try #require(readWhenSaving, "the upload was never seen under way")
        #expect(early < data.count / 2, "the upload started only after \(early) of \(data.count) bytes")
        #expect(try proxy.count("download_body_bytes") == data.count)
        let source = try #require(try await a.image(id))
        let copy = try #require(try await b.image(id))
        #expect(copy["os_hash_value"] as? String == source["os_hash_value"] as? String)
        #expect(copy["size"] as? Int == data.count)
        #expect(try await b.data(id) == data)
    }
}
