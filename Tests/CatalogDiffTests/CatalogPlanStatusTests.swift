import CatalogDiff
import Testing

@Suite("Planning: status (deactivated, no data) and members")
struct CatalogPlanStatusTests {
    func plan(_ source: [ImageRecord], _ target: [ImageRecord], replicatesStatus: Bool = true) -> CatalogPlan {
        CatalogPlan(
            source: source,
            target: target,
            scope: ImageScope(),
            rules: FieldRules(),
            options: PlanOptions(replicatesStatus: replicatesStatus)
        )
    }

    static func withoutData(_ id: String, status: String, properties: [String: String] = [:]) -> ImageRecord {
        var image = activeImage(id, status: status, properties: properties)
        image.size = nil
        image.checksum = nil
        image.osHashValue = nil
        return image
    }

    @Test(arguments: [
        (ImageStatus.deactivated, ImageStatus.active, PlannedAction.deactivate),
        (ImageStatus.active, ImageStatus.deactivated, PlannedAction.reactivate),
    ])
    func aStatusDifferenceIsDriftAndReplicated(source: String, target: String, action: PlannedAction) throws {
        let result = plan([activeImage("a", status: source)], [activeImage("a", status: target)])
        let image = try #require(result.images.first)
        #expect(image.state == .statusDrift)
        #expect(image.action == action)
        #expect(image.changes == [FieldChange(field: "status", source: .string(source), target: .string(target))])
        #expect(result.summary.statusDrift == 1)
        #expect(result.summary.hasDifferences)
    }

    @Test func metadataChangesTravelWithTheStatusChange() throws {
        let source = activeImage("a", status: ImageStatus.deactivated, properties: ["k": "new"])
        let image = try #require(plan([source], [activeImage("a", properties: ["k": "old"])]).images.first)
        #expect(image.state == .statusDrift)
        #expect(image.action == .deactivate)
        #expect(image.changes.map(\.field) == ["k", "status"])
    }

    @Test func bothDeactivatedIsInSync() throws {
        let deactivated = activeImage("a", status: ImageStatus.deactivated)
        let result = plan([deactivated], [deactivated])
        #expect(result.images.first?.state == .inSync)
        #expect(!result.summary.hasDifferences)
    }

    @Test func aDumpTargetHasNoStatusToCompare() throws {
        let result = plan(
            [activeImage("a", status: ImageStatus.deactivated)],
            [activeImage("a")],
            replicatesStatus: false
        )
        #expect(result.images.first?.state == .inSync)
    }

    @Test(arguments: [nil, withoutData("a", status: ImageStatus.queued)])
    func deactivatedNeverCopiedIsReportedNotCopied(target: ImageRecord?) throws {
        let result = plan([activeImage("a", status: ImageStatus.deactivated)], target.map { [$0] } ?? [])
        let image = try #require(result.images.first)
        #expect(image.state == .deactivatedAtSource)
        #expect(image.action == .ignore)
        #expect(result.summary.deactivatedAtSource == 1)
        #expect(result.summary.bytesToCopy == 0)
        #expect(!result.summary.hasDifferences)
    }

    @Test(arguments: [
        withoutData("q", status: ImageStatus.queued),
        withoutData("i", status: ImageStatus.importing),
        withoutData("u", status: ImageStatus.uploading),
        withoutData("s", status: ImageStatus.saving),
        withoutData("f", status: ImageStatus.queued, properties: ["os_glance_failed_import": "fs"]),
    ])
    func sourceImagesWithoutDataAreReportedNeverADifference(source: ImageRecord) throws {
        let result = plan([source], [])
        let image = try #require(result.images.first)
        #expect(image.state == .noData)
        #expect(image.action == .ignore)
        #expect(result.summary.noData == 1)
        #expect(!result.summary.hasDifferences)
        // Its id on the target is not `extra` either.
        #expect(plan([source], [activeImage(source.id)]).images.map(\.state) == [.noData])
    }

    @Test func deletedSourceImagesAreNotReported() throws {
        #expect(plan([activeImage("d", status: ImageStatus.deleted)], []).images.isEmpty)
    }

    @Test func pruneRecognisesTheNewNameAndTheFormerURL() throws {
        let policy = PrunePolicy(source: "cloud-a/r1", formerSources: ["http://internal:9292"], maxDelete: 10)
        #expect(policy.allows(activeImage("x", properties: [Provenance.property: "cloud-a/r1"])))
        #expect(policy.allows(activeImage("x", properties: [Provenance.property: "http://internal:9292"])))
        #expect(!policy.allows(activeImage("x", properties: [Provenance.property: "http://other:9292"])))
        #expect(!policy.allows(activeImage("x")))
    }

    @Test func membersMissingAndExtraWithStatusesOfBothSides() throws {
        let plan = MemberPlan(
            source: [ImageMember(project: "p1", status: "accepted"), ImageMember(project: "p2", status: "pending")],
            target: [ImageMember(project: "b1", status: "pending"), ImageMember(project: "x", status: "rejected")],
            mapping: ["p1": "b1"],
            pruneExtra: false
        )
        #expect(plan.toAdd == ["p2"])
        #expect(plan.extra == ["x"])
        #expect(plan.members.map(\.member) == ["b1", "p2", "x"])
        #expect(plan.members.map(\.state) == [.inSync, .missing, .extra])
        #expect(plan.members.map(\.action) == [MemberAction.none, .add, .ignore])
        #expect(plan.members[0].sourceStatus == "accepted" && plan.members[0].targetStatus == "pending")
        let pruning = MemberPlan(
            source: [],
            target: [ImageMember(project: "x", status: "accepted")],
            mapping: [:],
            pruneExtra: true
        )
        #expect(pruning.members.map(\.action) == [.remove])
    }
}
