import CatalogDiff
import Testing

@Suite("Mesh planning: origin, holder, repairs, conflicts, pruning across N regions")
struct MeshPlanTests {
    static let names = ["http://a:9292", "http://b:9292", "http://c:9292"]

    /// A copy of `image` made from the region at `origin`.
    static func copy(_ image: ImageRecord, from origin: Int) -> ImageRecord {
        var copy = image
        copy.properties[Provenance.property] = names[origin]
        return copy
    }

    static func plan(
        _ listings: [[ImageRecord]?],
        scope: ImageScope = ImageScope(),
        options: MeshOptions = MeshOptions(),
        dumps: Set<Int> = []
    ) -> MeshPlan {
        MeshPlan(
            regions: listings.enumerated().map { index, images in
                MeshRegion(
                    name: names[index],
                    provenance: names[index],
                    images: images,
                    replicatesStatus: !dumps.contains(index)
                )
            },
            scope: scope,
            rules: FieldRules(),
            options: options
        )
    }

    /// `--stores` in a mesh: a copy in sync in a region that requires stores, whose record names only some of
    /// them, is copied into the rest; the origin's own record, a record naming no store (a single-store
    /// Glance) and a region without the requirement are left as they are.
    @Test func aCopyInFewerStoresThanItsRegionRequiresIsCopiedIntoTheRest() throws {
        func stored(_ image: ImageRecord, _ stores: [String]) -> ImageRecord {
            var image = image
            image.stores = stores
            return image
        }
        let image = activeImage("x")
        let other = activeImage("y", name: "y", size: 2000, checksum: "md5-y", hash: "sha-y")
        let listings: [[ImageRecord]] = [
            [stored(image, ["fs"]), stored(Self.copy(other, from: 1), ["fs"])],
            [stored(Self.copy(image, from: 0), ["fs"]), stored(other, ["fs"])],
            [stored(Self.copy(image, from: 0), ["fs"]), Self.copy(other, from: 1)],
        ]
        let mesh = MeshPlan(
            regions: listings.enumerated().map { index, images in
                MeshRegion(
                    name: Self.names[index],
                    provenance: Self.names[index],
                    images: images,
                    replicatesStatus: true,
                    requiredStores: index == 2 ? [] : ["fs", "fs2"]
                )
            },
            scope: ImageScope(),
            rules: FieldRules()
        )
        let x = try #require(mesh.images.first { $0.id == "x" })
        #expect(Self.states(x) == [.origin, .missingInStores, .inSync])
        #expect(Self.actions(x) == [.none, .copyToStores, .none])
        #expect(x.cells[1].changes.map(\.field) == ["stores"])
        #expect(x.plan(in: 1).state == .missingInStores && x.plan(in: 1).action == .copyToStores)
        let y = try #require(mesh.images.first { $0.id == "y" })
        #expect(Self.states(y) == [.missingInStores, .origin, .inSync])
        #expect(mesh.summaries[1][.missingInStores] == 1)
        #expect(mesh.summaries[1].bytesToCopy == 0)
    }

    static func states(_ row: MeshImagePlan?) -> [MeshCellState] { row?.cells.map(\.state) ?? [] }
    static func actions(_ row: MeshImagePlan?) -> [PlannedAction] { row?.cells.map(\.action) ?? [] }

    // MARK: origin and direction

    /// Wherever an image is native, the others get a copy of it from there: the order of the regions does
    /// not matter, and neither does which of them holds copies already.
    @Test(arguments: 0..<3)
    func nativeImageIsCopiedFromItsOriginToEveryRegionLackingIt(origin: Int) throws {
        let image = activeImage("x")
        var listings: [[ImageRecord]?] = [[], [], []]
        listings[origin] = [image]
        let mesh = Self.plan(listings)
        let row = try #require(mesh.images.first)
        #expect(row.origin == origin)
        #expect(row.holder == origin)
        #expect(row.originName == Self.names[origin])
        for region in 0..<3 {
            #expect(row.cells[region].state == (region == origin ? .origin : .missing))
            #expect(row.cells[region].action == (region == origin ? .none : .copy))
        }
        #expect(mesh.summaries.enumerated().allSatisfy { $0.element.bytesToCopy == ($0.offset == origin ? 0 : 1000) })
    }

    @Test func imagesNativeToDifferentRegionsConvergeBothWays() throws {
        let a = activeImage("a", checksum: "m1", hash: "h1")
        let b = activeImage("b", checksum: "m2", hash: "h2")
        let mesh = Self.plan([[a], [b, Self.copy(a, from: 0)], []])
        let rowA = try #require(mesh.images.first { $0.id == "a" })
        let rowB = try #require(mesh.images.first { $0.id == "b" })
        #expect(Self.states(rowA) == [.origin, .inSync, .missing])
        #expect(Self.states(rowB) == [.missing, .origin, .missing])
        #expect(Self.actions(rowB) == [.copy, .none, .copy])
    }

    @Test func convergedMeshHasNothingToDo() {
        let a = activeImage("a", checksum: "m1", hash: "h1")
        let b = activeImage("b", checksum: "m2", hash: "h2")
        let mesh = Self.plan([
            [a, Self.copy(b, from: 1)], [b, Self.copy(a, from: 0)], [Self.copy(a, from: 0), Self.copy(b, from: 1)],
        ])
        #expect(mesh.images.flatMap(\.cells).allSatisfy { $0.action == .none })
    }

    /// Copies made by a version that named their origin by its URL still belong to that origin once it is
    /// named otherwise: in sync, orphaned when the origin lost the image, and new copies get the new name.
    @Test func copiesCarryingAFormerProvenanceStillBelongToTheirOrigin() throws {
        let kept = activeImage("kept", checksum: "m1", hash: "h1")
        let gone = activeImage("gone", checksum: "m2", hash: "h2")
        let fresh = activeImage("fresh", checksum: "m3", hash: "h3")
        let regions = [
            MeshRegion(
                name: Self.names[0],
                provenance: "glance-0a1b2c3d4e5f",
                formerProvenances: [Self.names[0]],
                images: [kept, fresh]
            ),
            MeshRegion(
                name: Self.names[1],
                provenance: "glance-ffeeddccbbaa",
                formerProvenances: [Self.names[1]],
                images: [Self.copy(kept, from: 0), Self.copy(gone, from: 0)]
            ),
        ]
        let mesh = MeshPlan(
            regions: regions,
            scope: ImageScope(),
            rules: FieldRules(),
            options: MeshOptions(prune: true)
        )
        #expect(Self.states(mesh.images.first { $0.id == "kept" }) == [.origin, .inSync])
        #expect(Self.states(mesh.images.first { $0.id == "gone" }) == [.absent, .orphaned])
        #expect(Self.actions(mesh.images.first { $0.id == "gone" }) == [.none, .delete])
        let row = try #require(mesh.images.first { $0.id == "fresh" })
        #expect(row.originName == "glance-0a1b2c3d4e5f")
    }

    // MARK: metadata follows the origin

    @Test(arguments: [
        // Edited at the origin: the copies follow.
        (["os_distro": "ubuntu-2"], ["os_distro": "ubuntu"]),
        // Edited on a copy: put back.
        (["os_distro": "ubuntu"], ["os_distro": "debian"]),
        // Added on a copy: removed.
        (["os_distro": "ubuntu"], ["os_distro": "ubuntu", "note": "local"]),
    ])
    func copyMetadataIsRepairedTowardTheOrigin(origin: [String: String], copy: [String: String]) throws {
        let native = activeImage("x", properties: origin)
        let copied = Self.copy(activeImage("x", properties: copy), from: 0)
        let mesh = Self.plan([[native], [copied], [copied]])
        let row = try #require(mesh.images.first)
        #expect(Self.states(row) == [.origin, .metadataDrift, .metadataDrift])
        #expect(Self.actions(row) == [.none, .updateMetadata, .updateMetadata])
        // The plan carried out on a copy turns it into the origin's metadata, never the reverse.
        let plan = row.plan(in: 1)
        #expect(plan.source == native)
        #expect(plan.target == copied)
        #expect(plan.changes.allSatisfy { $0.source == (origin[$0.field].map(MetadataValue.string) ?? .null) })
    }

    @Test func theProvenancePropertyItselfIsNeverDrift() throws {
        let mesh = Self.plan([[activeImage("x")], [Self.copy(activeImage("x"), from: 0)], []])
        #expect(mesh.images.first?.cells[1].state == .inSync)
    }

    // MARK: conflicts and duplicates

    @Test(arguments: [
        (activeImage("x", checksum: "m2", hash: "h2"), true),
        (activeImage("x", size: 999), true),
        (activeImage("x", status: ImageStatus.queued), true),
        // Same data native in two regions: two origins, no conflict, neither repaired.
        (activeImage("x", properties: ["other": "metadata"]), false),
    ])
    func nativeInTwoRegions(second: ImageRecord, conflict: Bool) throws {
        var second = second
        if second.status == ImageStatus.queued {
            second.size = nil
            second.checksum = nil
            second.osHashValue = nil
        }
        let mesh = Self.plan([[activeImage("x")], [], [second]])
        let row = try #require(mesh.images.first)
        if conflict {
            #expect(Self.states(row) == [.dataConflict, .absent, .dataConflict])
            #expect(Self.actions(row) == [.conflict, .none, .conflict])
            #expect(row.origin == nil)
            #expect(row.holder == nil)
        } else {
            #expect(Self.states(row) == [.origin, .missing, .origin])
            #expect(Self.actions(row) == [.none, .copy, .none])
            #expect(row.origin == 0)
        }
    }

    @Test func copyHoldingOtherDataIsAConflictNeverOverwritten() throws {
        let copied = Self.copy(activeImage("x", checksum: "m9", hash: "h9"), from: 0)
        let mesh = Self.plan([[activeImage("x")], [copied], []])
        let row = try #require(mesh.images.first)
        #expect(Self.states(row) == [.origin, .dataConflict, .missing])
        #expect(Self.actions(row) == [.none, .conflict, .copy])
    }

    @Test(arguments: [false, true])
    func sameDataUnderAnotherIDIsReported(copyDuplicates: Bool) throws {
        let mesh = Self.plan(
            [[activeImage("x")], [activeImage("y")], []],
            options: MeshOptions(copyDuplicates: copyDuplicates)
        )
        let row = try #require(mesh.images.first { $0.id == "x" })
        #expect(row.cells[1].state == .sameContentOtherID)
        #expect(row.cells[1].sameContentAs == "y")
        #expect(row.cells[1].action == (copyDuplicates ? .copy : .ignore))
        #expect(row.cells[2].state == .missing)
    }

    // MARK: an origin not listed this run

    @Test func unreachableOriginIsReadFromAVerifiedCopyAndDeletesNothing() throws {
        let copied = Self.copy(activeImage("x"), from: 0)
        let mesh = Self.plan([nil, [copied], []], options: MeshOptions(prune: true))
        let row = try #require(mesh.images.first)
        #expect(row.origin == nil)
        #expect(row.holder == 1)
        #expect(row.originName == Self.names[0])
        #expect(Self.states(row) == [.unreachable, .unchecked, .missing])
        #expect(Self.actions(row) == [.none, .none, .copy])
        #expect(!mesh.images.flatMap(\.cells).contains { $0.action == .delete })
    }

    @Test func copyFromACatalogOutsideTheRunIsSpreadWithItsProvenance() throws {
        var copied = activeImage("x")
        copied.properties[Provenance.property] = "http://hub:9292"
        let mesh = Self.plan([[copied], [], []])
        let row = try #require(mesh.images.first)
        #expect(row.holder == 0)
        #expect(row.originName == "http://hub:9292")
        #expect(Self.actions(row) == [.none, .copy, .copy])
    }

    /// The `queued` record, without data, that an interrupted copy from `origin` leaves.
    static func emptyCopy(_ id: String, from origin: Int) -> ImageRecord {
        var empty = copy(activeImage(id, status: ImageStatus.queued), from: origin)
        empty.size = nil
        empty.checksum = nil
        empty.osHashValue = nil
        return empty
    }

    @Test func anEmptyCopyLeftByAnInterruptedRunIsFilled() throws {
        let empty = Self.emptyCopy("x", from: 0)
        let mesh = Self.plan([[activeImage("x")], [empty], []])
        let row = try #require(mesh.images.first)
        #expect(Self.states(row) == [.origin, .missing, .missing])
        #expect(row.plan(in: 1).target == empty)
    }

    // MARK: deletions follow the origin

    @Test(arguments: [false, true])
    func copyWhoseOriginDeletedTheImageIsPrunedOnlyWithPrune(prune: Bool) throws {
        let copied = Self.copy(activeImage("x"), from: 0)
        let mesh = Self.plan([[], [copied], [copied]], options: MeshOptions(prune: prune))
        let row = try #require(mesh.images.first)
        #expect(Self.states(row) == [.absent, .orphaned, .orphaned])
        let expected: PlannedAction = prune ? .delete : .ignore
        #expect(Self.actions(row) == [.none, expected, expected])
        #expect(row.holder == nil)
    }

    @Test func protectedOrphanIsNeverDeleted() throws {
        var copied = Self.copy(activeImage("x"), from: 0)
        copied.protected = true
        let mesh = Self.plan([[], [copied], []], options: MeshOptions(prune: true))
        #expect(mesh.images.first?.cells[1].action == .ignore)
    }

    @Test func overMaxDeleteARegionDeletesNothing() {
        let copies = (0..<3).map { Self.copy(activeImage("x\($0)", checksum: "m\($0)", hash: "h\($0)"), from: 0) }
        let mesh = Self.plan([[], copies, [copies[0]]], options: MeshOptions(prune: true, maxDelete: 2))
        #expect(mesh.pruneRefused[1] == PruneRefusal(candidates: 3, maxDelete: 2))
        #expect(mesh.pruneRefused[2] == nil)
        #expect(mesh.images.allSatisfy { $0.cells[1].action == .ignore })
        #expect(mesh.images.first { $0.id == "x0" }?.cells[2].action == .delete)
    }

    @Test func aCopyDeletedByHandIsCopiedAgain() throws {
        let mesh = Self.plan([[activeImage("x")], [], [Self.copy(activeImage("x"), from: 0)]])
        #expect(Self.actions(mesh.images.first) == [.none, .copy, .none])
    }

    @Test func oneRegionDownTheOthersStillConverge() throws {
        let a = activeImage("a", checksum: "m1", hash: "h1")
        let c = activeImage("c", checksum: "m3", hash: "h3")
        let mesh = Self.plan([[a], nil, [c]], options: MeshOptions(prune: true))
        #expect(Self.actions(mesh.images.first { $0.id == "a" }) == [.none, .none, .copy])
        #expect(Self.actions(mesh.images.first { $0.id == "c" }) == [.copy, .none, .none])
        #expect(mesh.listed == [true, false, true])
    }

    // MARK: status follows the origin

    /// An image deactivated at its origin (an admin's answer to a compromised image) is deactivated
    /// wherever a copy is active, and copied nowhere: no region is left serving it.
    @Test func deactivatedAtTheOriginIsDeactivatedEverywhereAndCopiedNowhere() throws {
        let origin = activeImage("x", status: ImageStatus.deactivated)
        let copy = Self.copy(activeImage("x"), from: 0)
        let mesh = Self.plan([[origin], [copy], []])
        let row = try #require(mesh.images.first)
        #expect(Self.states(row) == [.origin, .statusDrift, .deactivatedAtOrigin])
        #expect(Self.actions(row) == [.none, .deactivate, .none])
        #expect(row.holder == nil)
        #expect(row.cells[1].changes.map(\.field) == ["status"])
        #expect(row.plan(in: 1).action == .deactivate)
        #expect(mesh.summaries.allSatisfy { $0.bytesToCopy == 0 })
    }

    @Test func aCopyDeactivatedWhileItsOriginIsActiveIsReactivated() throws {
        let copy = Self.copy(activeImage("x", status: ImageStatus.deactivated), from: 0)
        let row = try #require(Self.plan([[activeImage("x")], [copy], [copy]]).images.first)
        #expect(Self.states(row) == [.origin, .statusDrift, .statusDrift])
        #expect(Self.actions(row) == [.none, .reactivate, .reactivate])
    }

    /// The status and metadata both follow the origin, in one run: the metadata is repaired with it.
    @Test func aStatusChangeCarriesTheMetadataChangesWithIt() throws {
        var origin = activeImage("x", status: ImageStatus.deactivated)
        origin.properties["reason"] = "CVE"
        let copy = Self.copy(activeImage("x"), from: 0)
        let row = try #require(Self.plan([[origin], [copy], []]).images.first)
        #expect(row.cells[1].action == .deactivate)
        #expect(Set(row.cells[1].changes.map(\.field)) == ["reason", "status"])
    }

    @Test func deactivatedCopiesOfADeactivatedOriginAreInSyncOrRepaired() throws {
        var origin = activeImage("x", status: ImageStatus.deactivated)
        let same = Self.copy(origin, from: 0)
        origin.properties["reason"] = "CVE"
        let row = try #require(Self.plan([[origin], [same], [Self.copy(origin, from: 0)]]).images.first)
        #expect(Self.states(row) == [.origin, .metadataDrift, .inSync])
        #expect(Self.actions(row) == [.none, .updateMetadata, .none])
    }

    @Test func anEmptyCopyOfADeactivatedOriginIsNotFilled() throws {
        let empty = Self.emptyCopy("x", from: 0)
        let origin = activeImage("x", status: ImageStatus.deactivated)
        let row = try #require(Self.plan([[origin], [empty], []]).images.first)
        #expect(Self.states(row) == [.origin, .deactivatedAtOrigin, .deactivatedAtOrigin])
        #expect(Self.actions(row) == [.none, .none, .none])
    }

    /// A dump directory's files have no status to set: its records are compared by data and metadata only.
    @Test func aRegionThatIsADumpDoesNotReplicateStatus() throws {
        let copy = Self.copy(activeImage("x"), from: 0)
        let origin = activeImage("x", status: ImageStatus.deactivated)
        let row = try #require(Self.plan([[origin], [copy], [copy]], dumps: [1]).images.first)
        #expect(Self.states(row) == [.origin, .inSync, .statusDrift])
        #expect(Self.actions(row) == [.none, .none, .deactivate])
    }

    /// A copy's status never flows back: an origin that is active stays active whatever its copies are.
    @Test func aCopysStatusNeverFlowsBackToTheOrigin() throws {
        let copy = Self.copy(activeImage("x", status: ImageStatus.deactivated), from: 0)
        let row = try #require(Self.plan([[activeImage("x")], [copy], []]).images.first)
        #expect(row.cells[0].action == .none)
        #expect(row.cells[2].action == .copy)
        #expect(row.holder == 0)
    }

    // MARK: untrusted records

    /// A record whose id is not a UUID (or whose size is out of range), as the parser marks it: reported
    /// `invalid` wherever it is held, and never copied, repaired, deactivated or deleted anywhere, whichever
    /// region holds it natively or as a copy.
    @Test(arguments: ["../../v2/images", "x?y", "0f3e"])
    func anInvalidRecordIsNeverActedOn(id: String) throws {
        let native = activeImage(id).validated()
        #expect(native.invalidity != nil)
        var orphan = Self.copy(activeImage(id, status: ImageStatus.active), from: 0).validated()
        orphan.properties["os_distro"] = "edited"
        for listings in [[[native], [], []], [[], [orphan], []], [[native], [orphan], [orphan]]] as [[[ImageRecord]?]] {
            let mesh = Self.plan(listings, options: MeshOptions(prune: true))
            let row = try #require(mesh.images.first)
            #expect(row.cells.allSatisfy { !$0.action.isWork }, "\(Self.actions(row))")
            #expect(row.holder == nil)
            for (region, listing) in listings.enumerated() {
                #expect(row.cells[region].state == (listing?.isEmpty == false ? .invalid : .absent))
            }
        }
        let report = SyncReport(plan: Self.plan([[native], [], []]), dryRun: true, errors: [nil, nil, nil])
        #expect(report.images.first?.cells.first?.error?.contains("not a UUID") == true)
    }

    // MARK: scope
    // MARK: scope

    @Test(arguments: [
        (activeImage("x", name: "keep-private", visibility: .private), 0),
        (activeImage("x", name: "keep-queued", status: ImageStatus.queued), 0),
        (activeImage("x", name: "other", status: ImageStatus.deactivated), 0),
        (activeImage("x", name: "other"), 0),
        (activeImage("x", name: "keep-me"), 1),
    ])
    func outOfScopeAtTheOriginIsNotThisRunsImage(image: ImageRecord, rows: Int) throws {
        let scope = ImageScope(filter: ImageFilter(includeNames: [try #require(NameGlob("keep-*"))]))
        let mesh = Self.plan([[image], [Self.copy(image, from: 0)], []], scope: scope)
        #expect(mesh.images.count == rows)
    }

    @Test func shardKeepsEachImageInExactlyOneShard() throws {
        let images = (0..<40).map { activeImage("img-\($0)", checksum: "m\($0)", hash: "h\($0)") }
        var total = 0
        for index in 0..<3 {
            let scope = ImageScope(shard: try Shard(index: index, count: 3))
            total += Self.plan([images, [], []], scope: scope).images.count
        }
        #expect(total == 40)
    }
}
