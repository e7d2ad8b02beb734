import Foundation
import Testing

/// Interoperability, with the real OpenStack client as the judge: an image mix made with `openstack` in
/// region-a of the Keystone-backed cloud, replicated to region-b, must look the same there to `openstack image
/// show -f json`, `openstack image member list` and `openstack image save`, but for the README's allowed
/// differences; edits made with the client then converge in one run.
@Suite(
    "The openstack client sees the same images in every region",
    .serialized,
    .needs("no Keystone: run scripts/test (KEYSTONE_CLOUDS_YAML; it also exports OPENSTACK_CLIENT, required here)") {
        KeystoneCloud.present
    }
)
struct OpenStackClientTests {
    let osc: OpenStackCLI
    let cloud: KeystoneCloud
    let environment: [String: String]
    let source = "cloud:replicator-admin/region-a"
    let target = "cloud:replicator-admin/region-b"
    let directory: URL

    init() async throws {
        osc = try OpenStackCLI.require()
        cloud = try await KeystoneCloud.login()
        environment = [
            "OS_CLIENT_CONFIG_FILE": try #require(KeystoneCloud.cloudsFile), "OS_CLOUD": "", "OS_AUTH_TOKEN": "",
        ]
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for region in ["region-a", "region-b"] { try await wipeAll(region) }
    }

    /// Every image of the region, whatever its visibility, hidden or owner (protected ones unprotected first).
    func wipeAll(_ region: String) async throws {
        let root = try cloud.root(region)
        for hidden in ["false", "true"] {
            let data = try await cloud.call(
                "GET",
                root + "/v2/images?visibility=all&os_hidden=\(hidden)&limit=1000",
                expect: [200]
            )
            let images = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["images"] as? [[String: Any]]
            for image in images ?? [] {
                guard let id = image["id"] as? String else { continue }
                if image["protected"] as? Bool == true {
                    try await cloud.call(
                        "PATCH",
                        root + "/v2/images/\(id)",
                        body: Data(#"[{"op":"replace","path":"/protected","value":false}]"#.utf8),
                        contentType: "application/openstack-images-v2.1-json-patch",
                        expect: [200]
                    )
                }
                try await cloud.call("DELETE", root + "/v2/images/\(id)", expect: [204, 404])
            }
        }
    }

    func file(_ name: String, _ data: Data) throws -> String {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    /// Waits until the imports are over (no image `importing`), and returns the statuses by id.
    func settled(_ ids: [String]) async throws -> [String: String] {
        var statuses: [String: String] = [:]
        for _ in 0..<90 {
            statuses = try osc.show("region-a", ids).mapValues { $0["status"] as? String ?? "" }
            if !statuses.values.contains(where: { $0 == "importing" || $0 == "uploading" }) { break }
            try await Task.sleep(for: .seconds(1))
        }
        return statuses
    }

    func replicate(_ extra: [String] = []) async throws -> CLIResult {
        try await CLIRunner.run(
            [
                "replicate", source, target, "--visibility", "public,community,shared,private", "--members",
                "--preserve-owner", "--format", "json",
            ] + extra,
            environment: environment
        )
    }

    func compare() async throws -> CLIResult {
        try await CLIRunner.run(
            [
                "compare", source, target, "--visibility", "public,community,shared,private", "--members", "--format",
                "json",
            ],
            environment: environment
        )
    }

    /// Every copied image looks the same to the client in both regions: `image show`, members (status aside)
    /// and `image save` bytes.
    func expectSameEverywhere(_ ids: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let shownA = try osc.show("region-a", ids)
        let shownB = try osc.show("region-b", ids)
        var active: [String] = []
        for id in ids {
            let a = try #require(shownA[id])
            let b = try #require(shownB[id])
            let differences = AllowedDifferences.differences(a, b)
            #expect(differences.isEmpty, "image \(a["name"] ?? id): \(differences)", sourceLocation: sourceLocation)
            #expect(
                (b["properties"] as? [String: Any])?["glance_replicator_source"] as? String
                    == "replicator-admin/region-a",
                "provenance names the cloud and region, never a URL",
                sourceLocation: sourceLocation
            )
            if a["visibility"] as? String == "shared" {
                #expect(
                    Set(try osc.members("region-a", id).keys) == Set(try osc.members("region-b", id).keys),
                    "members of \(id)",
                    sourceLocation: sourceLocation
                )
            }
            if a["status"] as? String == "active" { active.append(id) }
        }
        let savedA = try osc.save("region-a", active)
        let savedB = try osc.save("region-b", active)
        for id in active {
            #expect(savedA[id] != nil && savedA[id] == savedB[id], "bytes of \(id)", sourceLocation: sourceLocation)
        }
    }

    @Test func anImageMixMadeWithTheClientLooksTheSameInBothRegionsAndEditsConverge() async throws {
        // The suites that share these regions empty them without unprotecting: nothing is left behind, even
        // when this test fails.
        do {
            try await imageMixLooksTheSameAndEditsConverge()
        } catch {
            for region in ["region-a", "region-b"] { try? await wipeAll(region) }
            throw error
        }
        for region in ["region-a", "region-b"] { try await wipeAll(region) }
    }

    func imageMixLooksTheSameAndEditsConverge() async throws {
        let projects = try osc.run(
            "region-a",
            [
                ["project", "show", "admin", "-f", "value", "-c", "id"],
                ["project", "show", "service", "-f", "value", "-c", "id"],
            ]
        ).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let (admin, service) = (projects[0], projects[1])
        // A plain HTTP URL for web-download: the noauth test region's data URL of an image.
        let plain = try #require(RealRegions.a, "GLANCE_REGION_A_URL is not set")
        let served = newID()
        try await plain.seed(served, data: randomData(6000), ["name": "served", "visibility": "public"])

        let raw = ["--disk-format", "raw", "--container-format", "bare"]
        let mix: [(String, [String])] = [
            (
                "boot",
                [
                    "--file", try file("boot", randomData(300_000)), "--public", "--min-disk", "1", "--min-ram", "512",
                    "--property", "hw_disk_bus=scsi", "--property", "hw_scsi_model=virtio-scsi", "--property",
                    "os_distro=ubuntu", "--property", "os_type=linux", "--tag", "base", "--tag", "lts",
                ]
            ),
            ("community", ["--file", try file("c", randomData(70_001)), "--community"]),
            ("protected", ["--file", try file("p", randomData(1000)), "--public", "--protected"]),
            ("hidden", ["--file", try file("h", randomData(2000)), "--public"]),
            ("shared", ["--file", try file("s", randomData(3000)), "--shared"]),
            ("private", ["--file", try file("pr", randomData(4000)), "--private"]),
            (
                "odd ✓ 日本",
                [
                    "--file", try file("o", randomData(10)), "--public", "--property", "unicode=Grüße ✓ 日本 Ω",
                    "--property", "long=" + String(repeating: "x", count: 250), "--property", "empty=",
                    "--property", "newline=a\nb",
                ]
            ),
            ("dup", ["--file", try file("d1", randomData(500)), "--public"]),
            ("dup", ["--file", try file("d2", randomData(501)), "--public"]),
            ("other-owner", ["--file", try file("ow", randomData(600)), "--public", "--project", admin]),
            ("zero", ["--file", try file("z", Data()), "--public"]),
            ("glance-direct", ["--public"]),
            ("web-download", ["--public"]),
            ("deactivated", ["--file", try file("de", randomData(700)), "--public"]),
            ("queued", ["--public"]),
            ("failed-import", ["--public"]),
        ]
        let created = try osc.json("region-a", mix.map { ["image", "create"] + raw + $0.1 + [$0.0] })
        let ids = try created.map { try #require(($0 as? [String: Any])?["id"] as? String) }
        let byName = Dictionary(zip(mix.map(\.0), ids), uniquingKeysWith: { first, _ in first })
        let (direct, web, deactivated, queued, failed) = (
            byName["glance-direct"]!, byName["web-download"]!, byName["deactivated"]!, byName["queued"]!,
            byName["failed-import"]!
        )
        let notCopied: Set = [deactivated, queued, failed]
        let copied = ids.filter { !notCopied.contains($0) }
        try osc.run(
            "region-a",
            [
                ["image", "set", "--hidden", byName["hidden"]!],
                ["image", "add", "project", byName["shared"]!, admin],
                ["image", "add", "project", byName["shared"]!, service],
                ["image", "stage", "--file", try file("gd", randomData(5000)), direct],
                ["image", "import", "--method", "glance-direct", direct],
                [
                    "image", "import", "--method", "web-download", "--uri", "\(plain.root)/v2/images/\(served)/file",
                    web,
                ],
                ["image", "set", "--deactivate", deactivated],
                // Nothing listens on port 9: the import fails and the image goes back to queued.
                ["image", "import", "--method", "web-download", "--uri", "http://127.0.0.1:9/none", failed],
            ]
        )
        let statuses = try await settled([direct, web, failed])
        #expect(statuses[direct] == "active" && statuses[web] == "active", "\(statuses)")
        #expect(statuses[failed] == "queued", "\(statuses)")
        #expect(try osc.show("region-a", byName["zero"]!)["size"] as? Int == 0)

        // One run copies every copyable image and reports every other one with its reason.
        let run = try await replicate()
        #expect(run.status == 0, "stderr: \(run.stderr.suffix(3000))")
        let report = try run.images()
        for id in copied {
            #expect(report[id]?["state"] as? String == "missing", "\(report[id] ?? [:])")
            #expect(report[id]?["result"] as? String == "done", "\(report[id] ?? [:])")
        }
        #expect(report[deactivated]?["state"] as? String == "deactivated_at_source")
        #expect(report[queued]?["state"] as? String == "no_data")
        #expect(report[failed]?["state"] as? String == "no_data")
        let summary = try run.summary()
        #expect(summary["deactivated_at_source"] == 1 && summary["no_data"] == 2, "\(summary)")
        for id in notCopied {
            // 404: not on region-b.
            try await cloud.call("GET", try cloud.root("region-b") + "/v2/images/\(id)", expect: [404])
        }
        try expectSameEverywhere(copied)
        let audit = try await compare()
        #expect(audit.status == 0, "compare: \(audit.stdout.suffix(3000)) \(audit.stderr.suffix(2000))")

        // The operator edits the source with the client.
        let boot = byName["boot"]!
        try osc.run(
            "region-a",
            [
                ["image", "set", "--property", "hw_disk_bus=virtio", "--tag", "new", boot],
                ["image", "unset", "--property", "os_type", "--tag", "base", boot],
                ["image", "set", "--public", byName["private"]!],
                ["image", "set", "--unprotected", byName["protected"]!],
                ["image", "set", "--protected", byName["community"]!],
                ["image", "set", "--unhidden", byName["hidden"]!],
                ["image", "set", "--hidden", byName["zero"]!],
                ["image", "set", "--deactivate", direct],
                ["image", "set", "--activate", deactivated],
                ["image", "remove", "project", byName["shared"]!, service],
            ]
        )
        let drift = try await compare()
        #expect(drift.status == 1, "compare must see the edits: \(drift.stdout.suffix(2000))")
        let drifted = try drift.images()
        #expect(drifted[direct]?["state"] as? String == "status_drift")
        #expect(drifted[direct]?["action"] as? String == "deactivate")
        #expect(drifted[deactivated]?["state"] as? String == "missing")
        #expect(drifted[boot]?["state"] as? String == "metadata_drift")
        let members = try #require(
            (try drift.json()["targets"] as? [[String: Any]])?.first?["members"] as? [String: Any]
        )
        #expect(members["extra"] as? Int == 1, "\(members)")

        // One run brings the target back to equal (the removed member only with --prune-members).
        let converge = try await replicate(["--prune-members"])
        #expect(converge.status == 0, "stderr: \(converge.stderr.suffix(3000))")
        try expectSameEverywhere(copied + [deactivated])
        #expect(try osc.show("region-b", direct)["status"] as? String == "deactivated")
        #expect(try osc.members("region-b", byName["shared"]!).keys.sorted() == [admin])
        let settledAudit = try await compare()
        #expect(settledAudit.status == 0, "compare after one run: \(settledAudit.stdout.suffix(3000))")

        // Reactivated at the source: reactivated on the copy.
        try osc.run("region-a", ["image", "set", "--activate", direct])
        await #expect(try replicate().status == 0)
        #expect(try osc.show("region-b", direct)["status"] as? String == "active")
        try expectSameEverywhere([direct])
        try? FileManager.default.removeItem(at: directory)
    }
}
