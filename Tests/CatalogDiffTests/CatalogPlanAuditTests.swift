import CatalogDiff
import Testing

@Suite("Planning: duplicates, provenance, pruning")
struct CatalogPlanAuditTests {
    let rules = FieldRules()

    func plan(_ source: [ImageRecord], _ target: [ImageRecord], options: PlanOptions = PlanOptions()) -> CatalogPlan {
        CatalogPlan(source: source, target: target, scope: ImageScope(), rules: rules, options: options)
    }

    // MARK: same_content_other_id

    @Test(arguments: [
        // Same size and md5, no multihash on the target: still provably the same.
        (activeImage("other", checksum: "md5-a", algo: nil, hash: nil), true),
        // Same size and multihash, no md5.
        (activeImage("other", checksum: nil, hash: "sha-a"), true),
        (activeImage("other", checksum: "MD5-A", hash: "SHA-A"), true),
        // Same md5 but another size, or a disagreeing multihash: different data.
        (activeImage("other", size: 999), false),
        (activeImage("other", hash: "sha-b"), false),
        // Data not yet stored.
        (activeImage("other", status: ImageStatus.queued), false),
    ])
    func missingImageWhoseDataTheTargetHoldsUnderAnotherID(twin: ImageRecord, isDuplicate: Bool) throws {
        let result = plan([activeImage("wanted", size: 1000)], [twin])
        let image = try #require(result.images.first { $0.id == "wanted" })
        if isDuplicate {
            #expect(image.state == .sameContentOtherID)
            #expect(image.action == .ignore)
            #expect(image.sameContentAs == "other")
            #expect(result.summary.sameContentOtherID == 1)
            #expect(result.summary.missing == 0)
            #expect(result.summary.bytesToCopy == 0)
            #expect(result.summary.hasDifferences)
        } else {
            #expect(image.state == .missing)
            #expect(image.sameContentAs == nil)
        }
    }

    @Test func copyDuplicatesCopiesThemAnyway() throws {
        let result = plan(
            [activeImage("wanted", size: 1000)],
            [activeImage("other", size: 1000)],
            options: PlanOptions(copyDuplicates: true)
        )
        let image = try #require(result.images.first { $0.id == "wanted" })
        #expect(image.state == .sameContentOtherID)
        #expect(image.action == .copy)
        #expect(result.summary.bytesToCopy == 1000)
    }

    @Test func sameIDWithDataIsNeverADuplicate() throws {
        let result = plan([activeImage("a")], [activeImage("a"), activeImage("b")])
        #expect(result.images.first { $0.id == "a" }?.state == .inSync)
    }

    @Test func smallestTwinIDIsNamedWhenSeveralHoldTheData() throws {
        let result = plan([activeImage("wanted")], [activeImage("z-copy"), activeImage("b-copy"), activeImage("m")])
        #expect(result.images.first { $0.id == "wanted" }?.sameContentAs == "b-copy")
    }

    /// A target holding thousands of copies of one image (users upload the same cirros again and again): each
    /// missing image with that data names the smallest id that provably holds it, whichever way it is proven
    /// (md5, or the multihash of a record without one), and never one that disagrees on a hash or the size.
    @Test func aTargetOfManyCopiesNamesTheSmallestProvenTwin() throws {
        let copies = (0..<3000).map { activeImage("c-\($0)") }
        let target =
            copies + [
                activeImage("a-other-multihash", hash: "sha-b"), activeImage("a-other-size", size: 999),
                activeImage("b-no-md5", checksum: nil),
            ]
        let wanted = (0..<2000).map { activeImage("wanted-\($0)") }
        let withoutMD5 = activeImage("wanted-by-multihash", checksum: nil)
        let otherSize = activeImage("wanted-other-size", size: 1001)
        let result = plan(wanted + [withoutMD5, otherSize], target.shuffled())
        let twins = Dictionary(uniqueKeysWithValues: result.images.map { ($0.id, $0.sameContentAs) })
        #expect(wanted.allSatisfy { twins[$0.id] == "b-no-md5" })
        #expect(twins[withoutMD5.id] == "b-no-md5")
        #expect(twins[otherSize.id] == .some(nil))
        #expect(result.summary.sameContentOtherID == 2001)

        // Without the record lacking an md5, the smallest of the copies.
        let copiesOnly = plan(wanted, copies.shuffled())
        let missing = copiesOnly.images.filter { $0.id.hasPrefix("wanted-") }
        #expect(missing.count == 2000 && missing.allSatisfy { $0.sameContentAs == "c-0" })
    }

    // MARK: provenance

    @Test func provenanceIsWrittenOnCreateAndNeverCompared() {
        let withProvenance = FieldRules(provenance: "http://r1:9292")
        let body = ImageWrite.createBody(for: activeImage("a"), rules: withProvenance)
        #expect(body[Provenance.property] == .string("http://r1:9292"))
        #expect(ImageWrite.createBody(for: activeImage("a"), rules: rules)[Provenance.property] == nil)

        let source = activeImage("a", properties: [Provenance.property: "http://elsewhere"])
        let target = activeImage("a", properties: [Provenance.property: "http://r1:9292"])
        #expect(withProvenance.changes(from: source, to: target).isEmpty)
        #expect(withProvenance.changes(from: activeImage("a"), to: target).isEmpty)
        #expect(!withProvenance.isReplicated(Provenance.property))
        #expect(withProvenance.metadata(of: source)[Provenance.property] == nil)
    }

    // MARK: pruning

    func copy(_ id: String, from source: String = "http://r1:9292", protected: Bool = false) -> ImageRecord {
        var image = activeImage(id, properties: [Provenance.property: source])
        image.protected = protected
        return image
    }

    @Test func pruneDeletesOnlyThisSourcesUnprotectedCopies() throws {
        let target = [
            copy("ours"), copy("ours-protected", protected: true), copy("theirs", from: "http://r9:9292"),
            activeImage("uploaded-here"), copy("still-at-source"),
        ]
        let source = [activeImage("still-at-source")]
        let result = plan(source, target, options: PlanOptions(prune: PrunePolicy(source: "http://r1:9292")))
        let actions = Dictionary(uniqueKeysWithValues: result.images.map { ($0.id, $0.action) })
        #expect(
            actions == [
                "ours": .delete, "ours-protected": .ignore, "theirs": .ignore, "uploaded-here": .ignore,
                "still-at-source": PlannedAction.none,
            ]
        )
        #expect(result.summary.toDelete == 1)
        #expect(result.pruneRefused == nil)
    }

    @Test func withoutPruneNothingIsDeleted() {
        let result = plan([], [copy("ours")])
        #expect(result.images.allSatisfy { $0.action == .ignore })
    }

    @Test(arguments: [(3, 3, false), (4, 3, true), (1, 0, true), (0, 0, false)])
    func overMaxDeleteNothingIsDeleted(candidates: Int, maxDelete: Int, refused: Bool) {
        let target = (0..<candidates).map { copy("c\($0)") }
        let result = plan(
            [],
            target,
            options: PlanOptions(prune: PrunePolicy(source: "http://r1:9292", maxDelete: maxDelete))
        )
        #expect(result.images.count == candidates)
        if refused {
            #expect(result.pruneRefused == PruneRefusal(candidates: candidates, maxDelete: maxDelete))
            #expect(result.images.allSatisfy { $0.action == .ignore })
            #expect(result.pruneRefused?.message.contains("nothing was deleted") == true)
        } else {
            #expect(result.pruneRefused == nil)
            #expect(result.images.allSatisfy { $0.action == .delete })
        }
    }

    @Test func filteredOutTargetImagesAreNeverPruned() {
        let scope = ImageScope(filter: ImageFilter(includeNames: [NameGlob("keep")!]))
        var kept = copy("a")
        kept.name = "keep"
        var other = copy("b")
        other.name = "other"
        let result = CatalogPlan(
            source: [],
            target: [kept, other],
            scope: scope,
            rules: rules,
            options: PlanOptions(prune: PrunePolicy(source: "http://r1:9292"))
        )
        #expect(result.images.map(\.id) == ["a"])
        #expect(result.images.first?.action == .delete)
    }
}
