import CatalogDiff
import Testing

@testable import glance_replicator

@Suite("--member-map files")
struct MemberMapTests {
    @Test func mappingOfProjectIds() throws {
        let map = try MemberMap.parse("4d25aa: 9e01bb\npartner-a: partner-b\n", path: "m.yaml")
        #expect(map == ["4d25aa": "9e01bb", "partner-a": "partner-b"])
        #expect(try MemberMap.parse("", path: "m.yaml").isEmpty)
    }

    @Test(arguments: ["- a\n- b", "a: [b, c]", "a: {b: c}", "a: [", "a:"])
    func anythingElseIsAUsageError(_ yaml: String) {
        let error = #expect(throws: ReplicatorError.self) { try MemberMap.parse(yaml, path: "m.yaml") }
        #expect(error?.category == .usage)
        #expect(error?.message.hasPrefix("--member-map m.yaml: ") == true)
    }
}
