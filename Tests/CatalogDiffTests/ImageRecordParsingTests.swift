import Foundation
import Testing

@testable import CatalogDiff

@Suite("Parsing image records directly")
struct ImageRecordParsingTests {
    static func bothWays(_ json: String) -> (parsed: ImageRecord?, decoded: ImageRecord?) {
        let bytes = Array(json.utf8)
        return (try? ImageRecordParser.parse(bytes), try? JSONDecoder().decode(ImageRecord.self, from: Data(bytes)))
    }

    @Test(arguments: ["region-a-images", "region-a-images-hidden", "region-b-images"])
    func realGlanceRecordsParseAsTheyDecode(listing: String) throws {
        let url = try #require(Bundle.module.url(forResource: listing, withExtension: "json", subdirectory: "Fixtures"))
        let page = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let images = try #require(page["images"] as? [[String: Any]])
        #expect(!images.isEmpty)
        for image in images {
            for options: JSONSerialization.WritingOptions in [[], [.prettyPrinted, .sortedKeys]] {
                let bytes = try JSONSerialization.data(withJSONObject: image, options: options)
                let parsed = try ImageRecordParser.parse(Array(bytes))
                #expect(parsed == (try JSONDecoder().decode(ImageRecord.self, from: bytes)))
            }
        }
    }

    @Test(arguments: [
        #"{"id": "a"}"#,
        #"{"id":"a","name":null,"tags":null,"size":null,"visibility":"community","status":"active"}"#,
        #"{"id":"a","name":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n\t","x":"\u0041"}"#,
        #"{"id":"a","name":"é✓😀","min_disk":-3,"min_ram":9223372036854775807,"size":0}"#,
        #"{"id":"a","num":1,"float":1.5e3,"obj":{"k":[1,{"z":"]"}]},"arr":["x"],"flag":true,"nil":null}"#,
        #"{"id":"a","locations":[{"url":"file://x","metadata":{}}],"virtual_size":null,"stores":"a,b"}"#,
        #"{"id":"a","os_glance_import_task":"t","owner_specified.openstack.md5":"m","tags":["b","a","b"]}"#,
        " \n{ \"id\" : \"a\" , \"protected\" : true , \"os_hidden\" : false } \n",
        #"{"id":"a","\u006eame":"n","os\u005fhidden":true,"caf\u00e9":"x","n\u00e9":"y","self\u0020":"z"}"#,
        #"{"\u0069d":"a","si\u007ae":2,"é":"é","tags\/":"t","locations":"kept?"}"#,
        #"{"id":"a","stores":" fs , fs2\t,\u00a0fs3\u2003, ,\u00e9,,x y"}"#,
        #"{"id":"a","stores":"\t"}"#,
    ])
    func edgeCasesParseAsTheyDecode(json: String) throws {
        let (parsed, decoded) = Self.bothWays(json)
        #expect(decoded != nil)
        #expect(parsed == decoded)
    }

    @Test(arguments: [
        #"{"name": "no id"}"#,
        #"{"id": 5}"#,
        #"{"id":"a","visibility":"everyone"}"#,
        #"{"id":"a","size":"12"}"#,
        #"{"id":"a","min_disk":1.5}"#,
        #"{"id":"a","protected":"yes"}"#,
        #"{"id":"a","tags":["x",1]}"#,
        #"{"id":"a","name":"unterminated}"#,
        #"{"id":"a"} trailing"#,
        #"{"id":"a","name":"\ud800"}"#,
        #"{"id":"a","name":"\q"}"#,
        #"[{"id":"a"}]"#,
        #"{"id":"a","self":tru}"#,
        #"{"id":"a","updated_at":"never closed}"#,
        #"{"id":"a","locations":[{"url":"x"]}"#,
        "",
    ])
    func malformedOrMistypedRecordsAreRefusedAsByTheDecoder(json: String) {
        let (parsed, decoded) = Self.bothWays(json)
        #expect(parsed == nil)
        #expect(decoded == nil)
    }

    /// Foundation's decoder lets a trailing comma and a lone `-` pass; the parser holds to RFC 8259.
    @Test(arguments: [#"{"id":"a",}"#, #"{"id":"a","virtual_size":-}"#])
    func whatFoundationToleratesIsRefused(json: String) {
        #expect(throws: ImageRecordParseError.self) { try ImageRecordParser.parse(Array(json.utf8)) }
    }

    @Test func everyBaseFieldIsKeptOrDroppedNeverAProperty() throws {
        for field in ImageRecord.baseFields where field != "id" {
            let json = #"{"id":"a","\#(field)":null}"#
            let (parsed, decoded) = Self.bothWays(json)
            #expect(parsed == decoded, "\(field)")
            #expect(parsed?.properties.isEmpty == true, "\(field)")
        }
    }

    /// The parser tells base fields from properties by their bytes: it must know exactly the decoder's.
    @Test func theParsersKeysAreTheBaseFields() {
        let kept: [String: RecordKey] = [
            "id": .id, "name": .name, "status": .status, "visibility": .visibility, "protected": .protected,
            "os_hidden": .osHidden, "min_disk": .minDisk, "min_ram": .minRam, "disk_format": .diskFormat,
            "container_format": .containerFormat, "tags": .tags, "size": .size, "checksum": .checksum,
            "stores": .stores, "os_hash_algo": .osHashAlgo, "os_hash_value": .osHashValue, "owner": .owner,
            "created_at": .createdAt,
        ]
        for field in ImageRecord.baseFields { #expect(RecordKey(field) == kept[field] ?? .ignored, "\(field)") }
        for field in ImageRecord.baseFields {
            // One byte changed, one more or one less: a property.
            #expect(RecordKey(field.uppercased()) == .property(field.uppercased()))
            #expect(RecordKey(field + "_") == .property(field + "_"))
            #expect(RecordKey(String(field.dropLast())) == .property(String(field.dropLast())))
        }
        #expect(RecordKey("os_distro") == .property("os_distro"))
        #expect(RecordKey("Name") == .property("Name"))
        #expect(RecordKey("") == .property(""))
    }

    @Test(arguments: [
        (" fs , fs2\t,\u{a0}fs3\u{2003}, ,é,,x y", ["fs", "fs2", "fs3", "é", "x y"]),
        ("file", ["file"]),
        ("", []),
        (" \t ", []),
    ])
    func storeListsAreTrimmedAsFoundationTrims(text: String, stores: [String]) {
        #expect(ImageRecord.storeList(text) == stores)
        #expect(
            ImageRecord.storeList(text)
                == text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        )
    }

    @Test func errorsSayWhereTheyAre() {
        #expect(throws: ImageRecordParseError.self) {
            try ImageRecordParser.parse(Array(#"{"id":"a","size":"x"}"#.utf8))
        }
        do {
            _ = try ImageRecordParser.parse(Array(#"{"id":"a","size":"x"}"#.utf8))
        } catch {
            #expect(error.description == "'size' is not an integer (at byte 10)")
        }
        do {
            _ = try ImageRecordParser.parse(Array(#"{"id":"a", "si\u007ae":"x"}"#.utf8))
        } catch {
            #expect(error.description == "'size' is not an integer (at byte 10)")
        }
    }
}
