import CatalogDiff
import Foundation
import Testing

@Suite("Multi-store targets: missing_in_stores")
struct StorePlanningTests {
    func record(_ id: String, stores: [String]) -> ImageRecord {
        var image = ImageRecord(id: id, name: id, size: 10, checksum: "c0ffee")
        image.stores = stores
        return image
    }

    @Test(arguments: [
        (["fs"], ["fs", "fs2"], ImageState.missingInStores),
        (["fs", "fs2"], ["fs", "fs2"], .inSync),
        (["fs2", "fs"], ["fs"], .inSync),
        ([], ["fs", "fs2"], .inSync),  // a single-store Glance names no stores: nothing to compare
    ])
    func aTargetImageOutsideARequiredStore(held: [String], required: [String], state: ImageState) {
        let plan = CatalogPlan(
            source: [record("a", stores: ["fs"])],
            target: [record("a", stores: held)],
            scope: ImageScope(),
            rules: FieldRules(),
            options: PlanOptions(requiredStores: required)
        )
        #expect(plan.images.first?.state == state)
        let expected: PlannedAction = state == .inSync ? .none : .copyToStores
        #expect(plan.images.first?.action == expected)
        #expect(plan.summary.missingInStores == (state == .missingInStores ? 1 : 0))
        #expect(plan.summary.hasDifferences == (state == .missingInStores))
    }

    @Test func withoutRequiredStoresTheStoresAreNotCompared() {
        let plan = CatalogPlan(
            source: [record("a", stores: ["fs"])],
            target: [record("a", stores: ["fs2"])],
            scope: ImageScope(),
            rules: FieldRules()
        )
        #expect(plan.images.first?.state == .inSync)
    }

    @Test func storesAreReadFromGlanceJSON() throws {
        let json = Data(#"{"id": "a", "visibility": "public", "status": "active", "stores": "fs,fs2"}"#.utf8)
        #expect(try JSONDecoder().decode(ImageRecord.self, from: json).stores == ["fs", "fs2"])
        #expect(try ImageRecordParser.parse(Array(json)).stores == ["fs", "fs2"])
    }
}
