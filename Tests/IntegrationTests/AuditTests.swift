import Foundation
import Testing

/// Filters, `same_content_other_id`, provenance and `--prune`, `size`, and the report files, against two
/// real Glance regions through the built binary.
@Suite(
    "Audits between real Glance regions",
    .serialized,
    .needsRealRegions
)
struct AuditTests {
    let a: GlanceTestClient
    let b: GlanceTestClient

    init() async throws {
        (a, b) = try await RealRegions.emptiedAB()
    }

    @Test func sameContentUnderAnotherIDIsReportedAndCopiedOnlyWhenAsked() async throws {
        let data = randomData(40_000)
        let original = newID()
        let elsewhere = newID()
        try await a.seed(original, data: data, ["name": "golden", "visibility": "public"])
        try await b.seed(elsewhere, data: data, ["name": "golden-uploaded-by-hand", "visibility": "public"])

        let compare = try await CLIRunner.run(["compare", a.root, b.root, "--format", "json"])
        #expect(compare.status == 1)
        let entry = try #require(try compare.images()[original])
        #expect(entry["state"] as? String == "same_content_other_id")
        #expect(entry["action"] as? String == "ignore")
        #expect(entry["same_content_as"] as? String == elsewhere)
        #expect(try compare.summary()["same_content_other_id"] == 1)
        let table = try await CLIRunner.run(["compare", a.root, b.root])
        #expect(table.stdout.contains("same data as target image \(elsewhere)"))
        #expect(table.stdout.contains("1 same content under another id"))

        let dryRun = try await CLIRunner.run(["replicate", a.root, b.root, "--dry-run"])
        #expect(dryRun.status == 0, "nothing to do unless --copy-duplicates")
        #expect(try await CLIRunner.run(["replicate", a.root, b.root]).status == 0)
        #expect(try await b.image(original) == nil)

        let planCopy = try await CLIRunner.run(["replicate", a.root, b.root, "--dry-run", "--copy-duplicates"])
        #expect(planCopy.status == 1)
        let copy = try await CLIRunner.run(["replicate", a.root, b.root, "--copy-duplicates", "--format", "json"])
        #expect(copy.status == 0, "stderr: \(copy.stderr)")
        #expect(try copy.images()[original]?["result"] as? String == "done")
        #expect(try await b.data(original) == data)
    }

    @Test func filtersNarrowEveryCommand() async throws {
        var ids: [String: String] = [:]
        let seeds: [(String, Int, [String: Any])] = [
            ("debian-12", 30_000, ["tags": ["lts"], "os_distro": "debian"]),
            ("debian-13", 50_000, ["tags": ["testing"], "os_distro": "debian"]),
            ("ubuntu-24.04", 20_000, ["tags": ["lts"], "os_distro": "ubuntu"]),
            ("windows-2022", 90_000, ["os_distro": "windows"]),
        ]
        for (name, size, fields) in seeds {
            let id = newID()
            ids[name] = id
            var all = fields
            all["name"] = name
            all["visibility"] = "public"
            try await a.seed(id, data: randomData(size), all)
        }
        func planned(_ options: [String]) async throws -> Set<String> {
            let run = try await CLIRunner.run(["compare", a.root, b.root, "--format", "json"] + options)
            #expect(run.status == 1, "stderr: \(run.stderr)")
            let names = Dictionary(uniqueKeysWithValues: ids.map { ($1, $0) })
            return Set(try run.images().keys.compactMap { names[$0] })
        }
        await #expect(try planned(["--include-name", "debian-*"]) == ["debian-12", "debian-13"])
        await #expect(try planned(["--exclude-name", "debian-*", "--exclude-name", "win*"]) == ["ubuntu-24.04"])
        await #expect(try planned(["--tag", "lts"]) == ["debian-12", "ubuntu-24.04"])
        await #expect(try planned(["--property", "os_distro=debian", "--tag", "lts"]) == ["debian-12"])
        await #expect(try planned(["--min-size", "30000", "--max-size", "50K"]) == ["debian-12", "debian-13"])
        await #expect(
            try planned(["--image", ids["windows-2022"]!, "--image", ids["debian-13"]!]) == [
                "windows-2022", "debian-13",
            ]
        )
        await #expect(try planned(["--since", "2000-01-01"]).count == 4)
        let future = try await CLIRunner.run(["compare", a.root, b.root, "--since", "2999-01-01T00:00:00Z"])
        #expect(future.status == 0, "nothing in scope, nothing differs")

        let size = try await CLIRunner.run(["size", a.root, "--include-name", "debian-*", "--format", "json"])
        #expect(size.status == 0)
        #expect((try size.json()["summary"] as? [String: Int]) == ["images": 2, "bytes": 80_000])
        let sizeTable = try await CLIRunner.run(["size", a.root])
        #expect(sizeTable.stdout.hasSuffix("summary: 4 images, 185.5 KiB (190000 bytes)\n"))

        let copy = try await CLIRunner.run(["replicate", a.root, b.root, "--tag", "lts", "--format", "json"])
        #expect(copy.status == 0, "stderr: \(copy.stderr)")
        #expect(
            Set(try await b.allImages().compactMap { $0["id"] as? String }) == [
                ids["debian-12"]!, ids["ubuntu-24.04"]!,
            ]
        )

        for bad in [
            ["--min-size", "lots"], ["--property", "novalue"], ["--since", "yesterday"], ["--include-name", "[x"],
            ["--min-size", "2M", "--max-size", "1M"],
        ] {
            let usage = try await CLIRunner.run(["compare", a.root, b.root] + bad)
            #expect(usage.status == 2, "\(bad): \(usage.stderr)")
        }
    }

    @Test func pruneDeletesOnlyThisSourcesOrphanedUnprotectedCopies() async throws {
        let gone = newID()
        let goneProtected = newID()
        let kept = newID()
        try await a.seed(gone, data: randomData(1000), ["name": "gone", "visibility": "public"])
        try await a.seed(
            goneProtected,
            data: randomData(1000),
            ["name": "gone-protected", "visibility": "public", "protected": true]
        )
        try await a.seed(kept, data: randomData(1000), ["name": "kept", "visibility": "public"])
        #expect(try await CLIRunner.run(["replicate", a.root, b.root]).status == 0)
        // The provenance names the source without its URL.
        let provenance = try #require(try await b.image(gone)?["glance_replicator_source"] as? String)
        #expect(provenance.hasPrefix("glance-") && provenance.count == 19 && !provenance.contains(a.root))

        let local = newID()
        let foreign = newID()
        try await b.seed(local, data: randomData(500), ["name": "local", "visibility": "public"])
        try await b.seed(
            foreign,
            data: randomData(500),
            ["name": "foreign", "visibility": "public", "glance_replicator_source": "http://elsewhere:9292"]
        )
        // A copy made by an earlier version, whose provenance is the source's URL: still this source's copy.
        let legacy = newID()
        try await b.seed(
            legacy,
            data: randomData(400),
            ["name": "legacy", "visibility": "public", "glance_replicator_source": a.root]
        )
        try await a.patch(goneProtected, [["op": "replace", "path": "/protected", "value": false]])
        try await a.call("DELETE", "/v2/images/\(goneProtected)", expect: [204])
        try await a.call("DELETE", "/v2/images/\(gone)", expect: [204])

        let plan = try await CLIRunner.run(["replicate", a.root, b.root, "--prune", "--dry-run", "--format", "json"])
        #expect(plan.status == 1)
        let actions = try plan.images().mapValues { $0["action"] as? String }
        #expect(
            actions == [
                gone: "delete", goneProtected: "ignore", kept: "none", local: "ignore", foreign: "ignore",
                legacy: "delete",
            ]
        )
        #expect(try plan.summary()["to_delete"] == 2)
        #expect(try await b.image(gone) != nil, "a dry run deletes nothing")
        let without = try await CLIRunner.run(["replicate", a.root, b.root])
        #expect(without.status == 0)
        #expect(try await b.image(gone) != nil, "no --prune, no deletion")

        let prune = try await CLIRunner.run(["replicate", a.root, b.root, "--prune", "--format", "json"])
        #expect(prune.status == 0, "stderr: \(prune.stderr)")
        #expect(try prune.images()[gone]?["result"] as? String == "done")
        #expect(try await b.image(gone) == nil)
        #expect(try await b.image(legacy) == nil)
        for survivor in [goneProtected, kept, local, foreign] {
            #expect(try await b.image(survivor) != nil)
        }
    }

    @Test func overMaxDeletePruneDeletesNothingAndSaysSo() async throws {
        var copies: [String] = []
        for index in 0..<3 {
            let id = newID()
            copies.append(id)
            try await a.seed(id, data: randomData(100 + index), ["name": "c\(index)", "visibility": "public"])
        }
        #expect(try await CLIRunner.run(["replicate", a.root, b.root]).status == 0)
        try await a.wipe()
        let refused = try await CLIRunner.run([
            "replicate", a.root, b.root, "--prune", "--max-delete", "2", "--format", "json",
        ])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("more than --max-delete 2: nothing was deleted"))
        let targets = try refused.json()["targets"] as? [[String: Any]]
        #expect((targets?.first?["prune_refused"] as? [String: Int]) == ["candidates": 3, "max_delete": 2])
        for id in copies { #expect(try await b.image(id) != nil) }
        let table = try await CLIRunner.run(["replicate", a.root, b.root, "--prune", "--max-delete", "2"])
        #expect(table.stdout.contains("prune refused:"))
        let allowed = try await CLIRunner.run(["replicate", a.root, b.root, "--prune", "--max-delete", "3"])
        #expect(allowed.status == 0, "stderr: \(allowed.stderr)")
        #expect(try await b.allImages().isEmpty)
    }
}
