import Foundation
import Testing

@testable import CatalogDiff

/// The old glance-replicator's dump records (Images v1 JSON, as `GET /v1/images/detail` returned each image
/// and the old tool wrote it with `jsonutils.dumps`) mapped to v2 records.
@Suite("Images v1 records of old dumps")
struct ImageRecordV1Tests {
    static let id = "9d3c6a8e-3b1f-4c1e-9a57-2f1c0b6e4d21"

    /// A record with every field Images v1 listed, in v1's types: timestamps without a zone and with
    /// microseconds, `is_public`, `deleted`, properties nested and all strings, `virtual_size` null.
    static func v1(_ changes: [String: String] = [:]) -> Data {
        var fields: [String: String] = [
            "status": "\"active\"", "name": "\"cirros-0.5.2\"", "deleted": "false", "container_format": "\"bare\"",
            "created_at": "\"2017-02-09T17:17:01.000000\"", "disk_format": "\"qcow2\"",
            "updated_at": "\"2017-02-09T17:17:02.000000\"", "id": "\"\(id)\"",
            "owner": "\"7e4b0c6d6b0e4b1f8a8e0d7c6a3b9f21\"", "protected": "false", "min_ram": "64",
            "checksum": "\"f8ab98ff5e73ebab884d80c9dc9c7290\"", "min_disk": "1", "is_public": "true",
            "deleted_at": "null", "properties": "{\"hw_disk_bus\": \"virtio\", \"os_distro\": \"cirros\"}",
            "size": "13267968", "virtual_size": "null",
        ]
        for (key, value) in changes { fields[key] = value }
        let body = fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        return Data("{\(body)}".utf8)
    }

    @Test func activePublicRecordIsItsV2Record() throws {
        let image = try #require(try ImageRecordV1.record(Self.v1()))
        #expect(image.id == Self.id)
        #expect(image.name == "cirros-0.5.2")
        #expect(image.status == ImageStatus.active)
        #expect(image.visibility == .public)
        #expect(image.protected == false)
        #expect(image.minDisk == 1 && image.minRam == 64)
        #expect(image.diskFormat == "qcow2" && image.containerFormat == "bare")
        #expect(image.size == 13_267_968)
        #expect(image.checksum == "f8ab98ff5e73ebab884d80c9dc9c7290")
        #expect(image.osHashAlgo == nil && image.osHashValue == nil)
        #expect(image.owner == "7e4b0c6d6b0e4b1f8a8e0d7c6a3b9f21")
        #expect(image.createdAt == "2017-02-09T17:17:01Z")
        #expect(image.tags.isEmpty)
        #expect(image.properties == ["hw_disk_bus": "virtio", "os_distro": "cirros"])
        #expect(image.hasData)
    }

    @Test(arguments: [("true", Visibility.public), ("false", Visibility.private)])
    func isPublicIsVisibility(_ isPublic: String, _ visibility: Visibility) throws {
        #expect(try ImageRecordV1.record(Self.v1(["is_public": isPublic]))?.visibility == visibility)
    }

    @Test(arguments: [
        ["deleted": "true"], ["status": "\"deleted\""], ["status": "\"pending_delete\""],
        ["deleted": "true", "deleted_at": "\"2018-01-01T00:00:00.000000\"", "status": "\"deleted\""],
    ])
    func deletedRecordIsSkipped(_ changes: [String: String]) throws {
        #expect(try ImageRecordV1.record(Self.v1(changes)) == nil)
    }

    /// v1's other statuses are v2's words; only `active` is ever in scope.
    @Test(arguments: ["queued", "saving", "killed", "active"])
    func statusIsKept(_ status: String) throws {
        let image = try #require(try ImageRecordV1.record(Self.v1(["status": "\"\(status)\""])))
        #expect(image.status == status)
        let scope = ImageScope(visibilities: [.public])
        #expect(scope.containsSource(image) == (status == "active"))
    }

    @Test(arguments: [
        ("{\"kernel_id\": null, \"a\": \"1\"}", ["a": "1"]),
        ("{\"name\": \"x\", \"visibility\": \"private\", \"os_hash_value\": \"y\", \"b\": \"2\"}", ["b": "2"]),
        ("{\"n\": 3, \"f\": true}", ["n": "3", "f": "true"]),
        ("{}", [:]),
        ("null", [:]),
    ])
    func propertiesAreFlattenedAsV2CanHoldThem(_ properties: String, _ expected: [String: String]) throws {
        let image = try #require(try ImageRecordV1.record(Self.v1(["properties": properties])))
        #expect(image.properties == expected)
    }

    @Test(arguments: [
        ("2017-02-09T17:17:01.000000", "2017-02-09T17:17:01Z"),
        ("2017-02-09T17:17:01", "2017-02-09T17:17:01Z"),
        ("2017-02-09T17:17:01Z", "2017-02-09T17:17:01Z"),
        ("yesterday", "yesterday"),
    ])
    func timestampIsV2s(_ v1: String, _ v2: String) {
        #expect(ImageRecordV1.v2Timestamp(v1) == v2)
    }

    /// A record this mapping cannot read faithfully is refused, naming why.
    @Test(arguments: [
        (Data("not json".utf8), "not JSON"),
        (Data("[1, 2]".utf8), "not a JSON object"),
        (v1(["is_public": "null"]), "no is_public"),
        (v1(["is_public": "1"]), "no is_public"),
        (v1(["id": "null"]), "no id"),
        (v1(["size": "\"13267968\""]), "size is not"),
        (v1(["size": "-1"]), "size is not"),
        (v1(["min_disk": "1.5"]), "min_disk is not"),
        (v1(["protected": "\"false\""]), "protected is not"),
        (v1(["properties": "[\"a\"]"]), "properties is not an object"),
        (v1(["properties": "{\"a\": {\"b\": \"c\"}}"]), "property a is not a string"),
        (Data(repeating: UInt8(ascii: " "), count: ImageRecordV1.maxRecordBytes + 1), "larger than"),
    ])
    func malformedRecordIsRefused(_ data: Data, _ reason: String) {
        let error = #expect(throws: ImageRecordV1.Invalid.self) { try ImageRecordV1.record(data) }
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
    }

    /// A v2 record (this tool's `.json`) is not a v1 one.
    @Test func v2RecordIsNotV1() {
        let v2 = Data("{\"id\": \"\(Self.id)\", \"visibility\": \"public\", \"status\": \"active\"}".utf8)
        #expect(throws: ImageRecordV1.Invalid.self) { try ImageRecordV1.record(v2) }
    }
}
