import CatalogDiff
import Testing

@Suite("Transfer priority rules")
struct TransferPriorityTests {
    let images = [
        ImageRecord(id: "big-edge", name: "big-edge", tags: ["edge"], size: 900),
        ImageRecord(id: "small", name: "small", size: 10),
        ImageRecord(id: "ubuntu", name: "ubuntu", size: 500, properties: ["os_distro": "ubuntu"]),
        ImageRecord(id: "small-edge", name: "small-edge", tags: ["edge"], size: 20),
    ]

    @Test func matchingImagesGoFirstInRuleOrderThenSmallestFirst() throws {
        let priority = TransferPriority(rules: [
            try #require(TransferPriority.rule("tag:edge")),
            try #require(TransferPriority.rule("property:os_distro=ubuntu")),
        ])
        #expect(priority.sorted(images, within: .size).map(\.id) == ["small-edge", "big-edge", "ubuntu", "small"])
        #expect(priority.sorted(images, within: .name).map(\.id) == ["big-edge", "small-edge", "ubuntu", "small"])
    }

    @Test func noRulesIsTheOrderAlone() {
        #expect(
            TransferPriority().sorted(images, within: .size).map(\.id) == ["small", "small-edge", "ubuntu", "big-edge"]
        )
    }

    @Test func baseFieldsCountAsProperties() throws {
        let rule = try #require(TransferPriority.rule("property:name=small"))
        #expect(TransferPriority(rules: [rule]).sorted(images, within: .size).first?.id == "small")
    }

    @Test(arguments: ["", "tag:", "property:", "property:=x", "property:novalue", "name:x"])
    func notRules(text: String) {
        #expect(TransferPriority.rule(text) == nil)
    }
}
