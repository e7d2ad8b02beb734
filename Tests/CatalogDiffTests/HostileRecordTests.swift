import CatalogDiff
import Foundation
import Testing

private let uuid = "aaaaaaaa-1111-4111-8111-111111111111"

/// Records as a hostile server or dump may write them: checked once where parsed, planned `invalid`,
/// never matched, copied or pruned; sums of sizes never trap; no nesting exhausts the parser's stack.
@Suite("Hostile records")
struct HostileRecordTests {
    @Test(arguments: [
        (uuid, true), (uuid.uppercased(), true), (uuid + "#x", false), ("../../x", false), ("", false),
        (String(uuid.dropLast()), false), (uuid.replacingOccurrences(of: "-", with: "_"), false),
        ("aaaaaaaa-1111-4111-8111-11111111111g", false), (uuid + "0", false),
    ])
    func idsAreUUIDs(id: String, valid: Bool) {
        #expect(ImageRecord.isUUID(id) == valid)
        #expect((ImageRecord(id: id).validated().invalidity == nil) == valid)
    }

    @Test func bothParsersMarkTheSameRecordsInvalid() throws {
        let cases: [(String, RecordInvalidity.Kind?)] = [
            (#"{"id": "\#(uuid)", "size": 5}"#, nil),
            (#"{"id": "\#(uuid)#x", "size": 5}"#, .id),
            (#"{"id": "../../x"}"#, .id),
            (#"{"id": "\#(uuid)", "size": -1}"#, .size),
            (#"{"id": "\#(uuid)", "size": 9223372036854775807}"#, .size),
        ]
        for (json, kind) in cases {
            let parsed = try ImageRecordParser.parse(Array(json.utf8))
            let decoded = try JSONDecoder().decode(ImageRecord.self, from: Data(json.utf8))
            #expect(parsed.invalidity?.kind == kind, "\(json)")
            #expect(decoded.invalidity == parsed.invalidity, "\(json)")
        }
    }

    @Test func invalidRecordsArePlannedInvalidAndNeverMatchedOrPruned() throws {
        let target = ImageRecord(id: uuid, name: "native", size: 4, checksum: "c", osHashAlgo: nil)
        let crafted = ImageRecord(id: uuid + "#x", name: "crafted", size: 4, checksum: "c").validated()
        let negative = ImageRecord(id: "bbbbbbbb-1111-4111-8111-111111111111", size: -5, checksum: "c").validated()
        let targetCrafted = ImageRecord(
            id: "../x",
            properties: [Provenance.property: "src"]
        ).validated()
        let plan = CatalogPlan(
            source: [crafted, negative],
            target: [target, targetCrafted],
            scope: ImageScope(),
            rules: FieldRules(),
            options: PlanOptions(prune: PrunePolicy(source: "src", maxDelete: 10))
        )
        let byID = Dictionary(uniqueKeysWithValues: plan.images.map { ($0.id, $0) })
        #expect(byID[crafted.id]?.state == .invalid)
        #expect(byID[crafted.id]?.action == .ignore)
        #expect(byID[crafted.id]?.target == nil)  // never matched to the target's image
        #expect(byID[negative.id]?.state == .invalid)
        #expect(byID[negative.id]?.bytes == 0)
        #expect(byID["../x"]?.state == .invalid)
        #expect(byID["../x"]?.action == .ignore)  // never pruned, whatever its provenance says
        #expect(byID[uuid]?.state == .extra)
        #expect(plan.summary.invalid == 3)
        #expect(plan.summary.toDelete == 0)
        #expect(plan.summary.hasDifferences)
        let report = ImageReport.unexecuted(plan).first { $0.id == crafted.id }
        #expect(report?.error?.contains("not a UUID") == true)
    }

    /// A target record the tool never acts on is no twin of a missing image, however its hashes match: a
    /// crafted id (or an absurd size) claiming the data of an image would otherwise keep it from being copied,
    /// in `replicate` and in `sync` alike, and be named in the report as holding it.
    @Test(arguments: [
        ImageRecord(id: "../../x", size: 4, checksum: "c", osHashAlgo: "sha512", osHashValue: "h"),
        ImageRecord(id: uuid + "#x", size: 4, checksum: "c", osHashAlgo: "sha512", osHashValue: "h"),
    ])
    func anInvalidRecordIsNeverTheTwinOfAMissingImage(claimant: ImageRecord) throws {
        let wanted = ImageRecord(id: uuid, size: 4, checksum: "c", osHashAlgo: "sha512", osHashValue: "h")
        let twin = ImageRecord(id: "bbbbbbbb-1111-4111-8111-111111111111", size: 4, checksum: "c")
        let alone = CatalogPlan(
            source: [wanted],
            target: [claimant.validated()],
            scope: ImageScope(),
            rules: FieldRules()
        )
        let image = try #require(alone.images.first { $0.id == uuid })
        #expect(image.state == .missing && image.action == .copy && image.sameContentAs == nil)
        // Beside a valid twin, the valid one is named, whichever id sorts first.
        let both = CatalogPlan(
            source: [wanted],
            target: [claimant.validated(), twin],
            scope: ImageScope(),
            rules: FieldRules()
        )
        #expect(both.images.first { $0.id == uuid }?.sameContentAs == twin.id)
        let mesh = MeshPlan(
            regions: [
                MeshRegion(name: "a", provenance: "a", images: [wanted]),
                MeshRegion(name: "b", provenance: "b", images: [claimant.validated()]),
            ],
            scope: ImageScope(),
            rules: FieldRules()
        )
        let row = try #require(mesh.images.first { $0.id == uuid })
        #expect(row.cells[1].state == .missing && row.cells[1].action == .copy && row.cells[1].sameContentAs == nil)
    }

    @Test func sumsOfSizesNeverTrap() {
        let huge = (0..<4).map { index in
            ImageRecord(
                id: "cccccccc-1111-4111-8111-11111111111\(index)",
                size: ImageRecord.maxSize,
                checksum: "c\(index)"
            ).validated()
        }
        let plan = CatalogPlan(source: huge, target: [], scope: ImageScope(), rules: FieldRules())
        #expect(plan.summary.bytesToCopy == 4 * ImageRecord.maxSize)
        #expect(Int64.max.addingSaturated(1) == .max)
        #expect(Int64.min.addingSaturated(-1) == .min)
        var budget = TransferBudget(maxBytes: 10)
        let admittedHuge = budget.admit(size: .max, elapsed: 0)
        let admittedTen = budget.admit(size: 10, elapsed: 0)
        #expect(!admittedHuge)
        #expect(admittedTen)
        let sized = SizeReport(
            source: "s",
            catalog: [
                ImageRecord(id: uuid, size: .max).validated(), ImageRecord(id: "x", size: -3).validated(),
                ImageRecord(id: "dddddddd-1111-4111-8111-111111111111", size: 7).validated(),
            ],
            scope: ImageScope()
        )
        #expect(sized.summary.bytes == 7)
        #expect(sized.images.allSatisfy { $0.bytes >= 0 })
    }

    @Test(arguments: [100_000, 1_000_000])
    func deepNestingIsSkippedWithoutRecursion(depth: Int) throws {
        // A custom property of nested arrays (and objects) used to recurse per level: SIGSEGV.
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        for value in [nested, objects, "[\"x\", " + nested + "]"] {
            let json = #"{"id": "\#(uuid)", "deep": \#(value), "name": "n"}"#
            let record = try ImageRecordParser.parse(Array(json.utf8))
            #expect(record.name == "n")
            #expect(record.properties["deep"] == nil)
        }
        let unbalanced = #"{"id": "\#(uuid)", "deep": "# + String(repeating: "[", count: depth) + "}"
        #expect(throws: ImageRecordParseError.self) { try ImageRecordParser.parse(Array(unbalanced.utf8)) }
    }

    @Test func aDeeplyNestedListingPageIsAnErrorNotACrash() {
        // Listing pages go through Foundation's JSONDecoder, which refuses nesting past its limit.
        let depth = 100_000
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let page = #"{"images": [{"id": "\#(uuid)", "deep": \#(nested)}]}"#
        #expect(throws: (any Error).self) { try JSONDecoder().decode(ImageListPage.self, from: Data(page.utf8)) }
    }

    @Test func pathSegmentsNeverLeaveTheirFolder() {
        #expect(ImageRecord.pathSegment(uuid) == uuid)
        #expect(ImageRecord.pathSegment("../../x") == "..%2F..%2Fx")
        #expect(ImageRecord.pathSegment(uuid + "#x") == uuid + "%23x")
        #expect(ImageRecord.pathSegment("a?b=c&d") == "a%3Fb%3Dc%26d")
        #expect(ImageRecord.pathSegment("é\u{0}") == "%C3%A9%00")
        for hostile in ["..", ".", "/", "../", "a/../../b", "\u{0}"] {
            let name = ImageRecord.pathSegment(hostile) + ".json"
            #expect(!name.contains("/") && name != "." && name != "..")
        }
    }
}
