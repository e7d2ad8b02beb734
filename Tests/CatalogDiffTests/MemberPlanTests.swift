import CatalogDiff
import Testing

@Suite("Members of shared images")
struct MemberPlanTests {
    @Test(arguments: [
        (["p1", "p2"], [String](), [String: String](), ["p1", "p2"]),
        (["p1", "p2"], ["p1"], [:], ["p2"]),
        (["p1", "p2"], ["b2"], ["p2": "b2"], ["p1"]),
        (["p1"], ["p1", "other"], [:], []),
        (["p1", "p2"], [], ["p1": "same", "p2": "same"], ["same"]),
    ])
    func missingMembersAreMappedAndAddedOnly(
        _ source: [String],
        _ target: [String],
        _ mapping: [String: String],
        _ toAdd: [String]
    ) {
        #expect(MemberPlan(source: source, target: target, mapping: mapping).toAdd == toAdd)
    }
}
