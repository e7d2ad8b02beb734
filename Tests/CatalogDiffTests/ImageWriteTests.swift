import CatalogDiff
import Foundation
import Testing

@Suite("Request bodies")
struct ImageWriteTests {
    @Test func createBodyKeepsIdAndMetadataButNotProtected() {
        var source = activeImage(
            "id-1",
            name: "n",
            tags: ["b", "a"],
            properties: ["os_distro": "debian", "skip": "1"]
        )
        source.protected = true
        source.owner = "someone"
        let body = ImageWrite.createBody(for: source, rules: FieldRules(excluded: ["skip", "disk_format"]))
        #expect(body["id"] == .string("id-1"))
        #expect(body["name"] == .string("n"))
        #expect(body["tags"] == .stringSet(["a", "b"]))
        #expect(body["os_distro"] == .string("debian"))
        #expect(body["protected"] == nil)
        #expect(body["skip"] == nil)
        #expect(body["owner"] == nil)
        #expect(body["checksum"] == nil)
        // Glance refuses data without formats, so they are sent even when excluded from comparison.
        #expect(body["disk_format"] == .string("raw"))
        #expect(body["container_format"] == .string("bare"))
    }

    @Test(arguments: [(true, MetadataValue?.some(.string("someone"))), (false, nil)])
    func createBodyCarriesTheOwnerOnlyWhenPreserved(_ preserve: Bool, _ owner: MetadataValue?) {
        var source = activeImage("id-1", name: "n")
        source.owner = "someone"
        #expect(ImageWrite.createBody(for: source, rules: FieldRules(excluded: []), owner: preserve)["owner"] == owner)
    }

    @Test func patchReplacesBaseFieldsAddsAndRemovesProperties() throws {
        let changes = [
            FieldChange(field: "name", source: .string("new"), target: .string("old")),
            FieldChange(field: "tags", source: .stringSet(["a"]), target: .stringSet([])),
            FieldChange(field: "os_distro", source: .string("debian"), target: .null),
            FieldChange(field: "gone", source: .null, target: .string("x")),
            FieldChange(field: "a/b~c", source: .string("v"), target: .null),
        ]
        let data = try JSONEncoder().encode(ImageWrite.patch(for: changes))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(json.count == 5)
        #expect(json[0]["op"] as? String == "replace")
        #expect(json[0]["path"] as? String == "/name")
        #expect(json[0]["value"] as? String == "new")
        #expect(json[1]["value"] as? [String] == ["a"])
        #expect(json[2]["op"] as? String == "add")
        #expect(json[3]["op"] as? String == "remove")
        #expect(json[3]["path"] as? String == "/gone")
        #expect(json[3]["value"] == nil)
        #expect(json[4]["path"] as? String == "/a~1b~0c")
    }

    @Test func nullNameIsReplacedWithNull() throws {
        let patch = ImageWrite.patch(for: [FieldChange(field: "name", source: .null, target: .string("x"))])
        let data = try JSONEncoder().encode(patch)
        #expect(String(decoding: data, as: UTF8.self).contains(#""value":null"#))
    }
}

@Suite("Report JSON contract")
struct ReportContractTests {
    @Test func documentHasTheContractKeys() throws {
        let plan = CatalogPlan(
            source: [activeImage("a", name: "n", size: 5), activeImage("b", name: "m")],
            target: [activeImage("b", name: "old")],
            scope: ImageScope(),
            rules: FieldRules()
        )
        let images = plan.images.map { ImageReport(plan: $0, result: .unexecuted($0.action)) }
        let report = Report(
            source: "http://src",
            dryRun: true,
            targets: [TargetReport(target: "http://dst", summary: plan.summary, images: images)]
        )
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        )
        // The keys of the first release, plus those added since (the contract is only ever extended).
        #expect(Set(object.keys) == ["schema_version", "source", "dry_run", "targets", "bytes_read", "interrupted_by"])
        #expect(object["schema_version"] as? Int == 1)
        let target = try #require((object["targets"] as? [[String: Any]])?.first)
        #expect(Set(target.keys) == ["target", "summary", "images"])
        let summary = try #require(target["summary"] as? [String: Any])
        // schema_version 1 keys, and the keys added since (extensions only).
        #expect(
            Set(summary.keys) == [
                "in_sync", "missing", "metadata_drift", "data_conflict", "extra", "bytes_to_copy",
                "same_content_other_id", "to_delete", "missing_in_stores", "invalid", "status_drift",
                "deactivated_at_source", "no_data",
            ]
        )
        #expect(summary["bytes_to_copy"] as? Int == 5)
        let entries = try #require(target["images"] as? [[String: Any]])
        for entry in entries {
            #expect(Set(entry.keys) == ["id", "name", "state", "action", "bytes", "changes", "result", "error"])
        }
        let drift = try #require(entries.first { $0["id"] as? String == "b" })
        #expect(drift["state"] as? String == "metadata_drift")
        #expect(drift["action"] as? String == "update_metadata")
        #expect(drift["result"] as? String == "planned")
        #expect(drift["error"] is NSNull)
        let change = try #require((drift["changes"] as? [[String: Any]])?.first)
        #expect(change["field"] as? String == "name")
        #expect(change["source"] as? String == "m")
        #expect(change["target"] as? String == "old")
    }

    @Test(arguments: [
        (PlannedAction.copy, ImageResult.planned), (.updateMetadata, .planned), (.none, .skipped),
        (.conflict, .skipped),
        (.ignore, .skipped),
    ])
    func unexecutedResults(action: PlannedAction, result: ImageResult) {
        #expect(ImageResult.unexecuted(action) == result)
    }
}
