import Foundation
import Testing

/// Interoperability, with the real OpenStack client as the judge: an image mix made with `openstack` in
/// region-a of the Keystone-backed cloud, replicated to region-b, must look the same there to `openstack image
/// show -f json`, `openstack image member list` and `openstack image save`, but for the README's allowed
/// differences; edits made with the client then converge in one run.
@Suite(
    "The openstack client sees the same images in every region",
    .serialized,
    .enabled(
        if: KeystoneCloud.available,
        "no Keystone: run scripts/test (KEYSTONE_CLOUDS_YAML; it also exports OPENSTACK_CLIENT, required here)"
    )
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
        for region in ["region-a", "region-b"] { try await wipeAll(region) }
        environment = [
            "OS_CLIENT_CONFIG_FILE": try #require(KeystoneCloud.cloudsFile), "OS_CLOUD": "", "OS_AUTH_TOKEN": "",
        ]
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
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

    /// `openstack image create ... -f json` in region-a; returns the new image's id.
    func create(_ name: String, _ arguments: [String]) throws -> String {
        let created = try #require(
            try osc.json(
                "region-a",
                ["image", "create", "--disk-format", "raw", "--container-format", "bare"] + arguments + [name]
            )
                as? [String: Any]
        )
        return try #require(created["id"] as? String)
    }

    func project(_ name: String) throws -> String {
        try osc.run("region-a", ["project", "show", name, "-f", "value", "-c", "id"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits until an import is over (the image is no longer `importing`), and returns its status.
    func settled(_ id: String) async throws -> String {
        for _ in 0..<60 {
            let status = try osc.show("region-a", id)["status"] as? String ?? ""
            if status != "importing" && status != "uploading" { return status }
            try await Task.sleep(for: .seconds(1))
        }
        return "importing"
    }

    func replicate(_ extra: [String] = []) throws -> CLIResult {
        try CLIRunner.run(
            [
                "replicate", source, target, "--visibility", "public,community,shared,private", "--members",
                "--preserve-owner", "--format", "json",
            ] + extra,
            environment: environment
        )
    }

    func compare() throws -> CLIResult {
        try CLIRunner.run(
            [
                "compare", source, target, "--visibility", "public,community,shared,private", "--members",
                "--format", "json",
            ],
            environment: environment
        )
    }

    /// Every copied image looks the same to the client in both regions: `image show`, members (status aside)
    /// and `image save` bytes.
    func expectSameEverywhere(_ ids: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for id in ids {
            let a = try osc.show("region-a", id)
            let b = try osc.show("region-b", id)
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
            if a["status"] as? String == "active" {
                #expect(try osc.save("region-a", id) == osc.save("region-b", id), sourceLocation: sourceLocation)
            }
        }
    }

    @Test func anImageMixMadeWithTheClientLooksTheSameInBothRegionsAndEditsConverge() async throws {
        let admin = try project("admin")
        let service = try project("service")
        var copied: [String: String] = [:]  // name -> id
        copied["boot"] = try create(
            "boot",
            [
                "--file", try file("boot", randomData(300_000)), "--public", "--min-disk", "1", "--min-ram", "512",
                "--property", "hw_disk_bus=scsi", "--property", "hw_scsi_model=virtio-scsi", "--property",
                "os_distro=ubuntu", "--property", "os_type=linux", "--tag", "base", "--tag", "lts",
            ]
        )
        copied["community"] = try create("community", ["--file", try file("c", randomData(70_001)), "--community"])
        copied["protected"] = try create(
            "protected",
            ["--file", try file("p", randomData(1000)), "--public", "--protected"]
        )
        copied["hidden"] = try create("hidden", ["--file", try file("h", randomData(2000)), "--public"])
        try osc.run("region-a", ["image", "set", "--hidden", copied["hidden"]!])
        copied["shared"] = try create("shared", ["--file", try file("s", randomData(3000)), "--shared"])
        try osc.run("region-a", ["image", "add", "project", copied["shared"]!, admin])
        try osc.run("region-a", ["image", "add", "project", copied["shared"]!, service])
        copied["private"] = try create("private", ["--file", try file("pr", randomData(4000)), "--private"])
        copied["odd"] = try create(
            "odd ✓ 日本",
            [
                "--file", try file("o", randomData(10)), "--public", "--property", "unicode=Grüße ✓ 日本 😀",
                "--property", "long=" + String(repeating: "x", count: 250), "--property", "empty=",
                "--property", "newline=a\nb",
            ]
        )
        copied["dup-1"] = try create("dup", ["--file", try file("d1", randomData(500)), "--public"])
        copied["dup-2"] = try create("dup", ["--file", try file("d2", randomData(501)), "--public"])
        copied["owner"] = try create(
            "other-owner",
            ["--file", try file("ow", randomData(600)), "--public", "--project", admin]
        )
        copied["zero"] = try create("zero", ["--file", try file("z", Data()), "--public"])
        // glance-direct: stage, then import.
        let direct = try create("glance-direct", ["--public"])
        try osc.run("region-a", ["image", "stage", "--file", try file("gd", randomData(5000)), direct])
        try osc.run("region-a", ["image", "import", "--method", "glance-direct", direct])
        #expect(try await settled(direct) == "active")
        copied["glance-direct"] = direct
        // web-download from a plain HTTP URL (the noauth test region's data URL).
        let plain = try #require(RealRegions.a, "GLANCE_REGION_A_URL is not set")
        let served = newID()
        let servedData = randomData(6000)
        try await plain.seed(served, data: servedData, ["name": "served", "visibility": "public"])
        let web = try create("web-download", ["--public"])
        try osc.run(
            "region-a",
            ["image", "import", "--method", "web-download", "--uri", "\(plain.root)/v2/images/\(served)/file", web]
        )
        #expect(try await settled(web) == "active")
        copied["web-download"] = web
        // Not copied: deactivated before any copy, never given data, and an import that failed.
        let deactivated = try create("deactivated", ["--file", try file("de", randomData(700)), "--public"])
        try osc.run("region-a", ["image", "set", "--deactivate", deactivated])
        let queued = try create("queued", ["--public"])
        let failed = try create("failed-import", ["--public"])
        try osc.run(
            "region-a",
            ["image", "import", "--method", "web-download", "--uri", "http://127.0.0.1:9/none", failed]
        )
        _ = try await settled(failed)

        // One run copies every copyable image and reports every other one with its reason.
        let run = try replicate()
        #expect(run.status == 0, "stderr: \(run.stderr.suffix(3000))")
        let report = try run.images()
        for (name, id) in copied {
            #expect(report[id]?["state"] as? String == "missing", "\(name): \(report[id] ?? [:])")
            #expect(report[id]?["result"] as? String == "done", "\(name): \(report[id] ?? [:])")
        }
        #expect(report[deactivated]?["state"] as? String == "deactivated_at_source")
        #expect(report[queued]?["state"] as? String == "no_data")
        #expect(report[failed]?["state"] as? String == "no_data")
        let summary = try run.summary()
        #expect(summary["deactivated_at_source"] == 1 && summary["no_data"] == 2, "\(summary)")
        for id in [deactivated, queued, failed] {
            // 404: not on region-b.
            try await cloud.call("GET", try cloud.root("region-b") + "/v2/images/\(id)", expect: [404])
        }
        try expectSameEverywhere(Array(copied.values))
        let audit = try compare()
        #expect(audit.status == 0, "compare: \(audit.stdout.suffix(3000)) \(audit.stderr.suffix(2000))")

        // The operator edits the source with the client.
        let boot = copied["boot"]!
        try osc.run("region-a", ["image", "set", "--property", "hw_disk_bus=virtio", "--tag", "new", boot])
        try osc.run("region-a", ["image", "unset", "--property", "os_type", "--tag", "base", boot])
        try osc.run("region-a", ["image", "set", "--public", copied["private"]!])
        try osc.run("region-a", ["image", "set", "--unprotected", copied["protected"]!])
        try osc.run("region-a", ["image", "set", "--protected", copied["community"]!])
        try osc.run("region-a", ["image", "set", "--unhidden", copied["hidden"]!])
        try osc.run("region-a", ["image", "set", "--hidden", copied["dup-1"]!])
        try osc.run("region-a", ["image", "set", "--deactivate", copied["glance-direct"]!])
        try osc.run("region-a", ["image", "set", "--activate", deactivated])
        try osc.run("region-a", ["image", "remove", "project", copied["shared"]!, service])

        let drift = try compare()
        #expect(drift.status == 1, "compare must see the edits: \(drift.stdout.suffix(2000))")
        let drifted = try drift.images()
        #expect(drifted[copied["glance-direct"]!]?["state"] as? String == "status_drift")
        #expect(drifted[copied["glance-direct"]!]?["action"] as? String == "deactivate")
        #expect(drifted[deactivated]?["state"] as? String == "missing")
        let members = try #require(
            (try drift.json()["targets"] as? [[String: Any]])?.first?["members"] as? [String: Any]
        )
        #expect(members["extra"] as? Int == 1, "\(members)")

        // One run brings the target back to equal (the removed member only with --prune-members).
        let converge = try replicate(["--prune-members"])
        #expect(converge.status == 0, "stderr: \(converge.stderr.suffix(3000))")
        try expectSameEverywhere(Array(copied.values) + [deactivated])
        #expect(try osc.show("region-b", copied["glance-direct"]!)["status"] as? String == "deactivated")
        #expect(try osc.members("region-b", copied["shared"]!).keys.sorted() == [admin])
        let settledAudit = try compare()
        #expect(settledAudit.status == 0, "compare after one run: \(settledAudit.stdout.suffix(3000))")

        // Reactivated at the source: reactivated on the copy.
        try osc.run("region-a", ["image", "set", "--activate", copied["glance-direct"]!])
        #expect(try replicate().status == 0)
        #expect(try osc.show("region-b", copied["glance-direct"]!)["status"] as? String == "active")
        try expectSameEverywhere([copied["glance-direct"]!])
        try? FileManager.default.removeItem(at: directory)
    }
}
