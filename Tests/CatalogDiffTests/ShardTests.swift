import CatalogDiff
import Foundation
import Testing

@Suite("Shards: every image in exactly one")
struct ShardTests {
    /// The published FNV-1a 64 test vectors: the hash is a contract (a shard's images must not move between
    /// releases), so it is pinned, not just checked for consistency.
    @Test(arguments: [
        ("", 0xcbf2_9ce4_8422_2325 as UInt64),
        ("a", 0xaf63_dc4c_8601_ec8c),
        ("foobar", 0x8594_4171_f739_67e8),
    ])
    func hashIsFNV1a64(text: String, expected: UInt64) {
        #expect(Shard.hash(text) == expected)
    }

    @Test(arguments: [1, 2, 3, 7, 16])
    func everyIdBelongsToExactlyOneShard(count: Int) throws {
        let shards = try (0..<count).map { try Shard(index: $0, count: count) }
        let ids = (0..<2000).map { _ in UUID().uuidString.lowercased() }
        var sizes = Array(repeating: 0, count: count)
        for id in ids {
            let owners = shards.filter { $0.contains(id: id) }
            #expect(owners.count == 1, "\(id) is in \(owners)")
            if let owner = owners.first { sizes[owner.index] += 1 }
        }
        // Spread, not just covered: with 2000 random ids no shard of at most 16 is nearly empty.
        #expect(sizes.allSatisfy { $0 > 2000 / count / 2 }, "sizes \(sizes)")
    }

    @Test func scopeLeavesOtherShardsOutOnBothSides() throws {
        let ids = (0..<40).map { "image-\($0)" }
        let source = ids.map { activeImage($0) }
        let target = ids.map { activeImage($0, name: "stale") } + [activeImage("only-on-target")]
        var seen: [String] = []
        for index in 0..<3 {
            let scope = ImageScope(shard: try Shard(index: index, count: 3))
            let plan = CatalogPlan(source: source, target: target, scope: scope, rules: FieldRules())
            #expect(plan.images.allSatisfy { scope.shard!.contains(id: $0.id) })
            seen += plan.images.map(\.id)
        }
        #expect(seen.sorted() == (ids + ["only-on-target"]).sorted())
    }

    @Test(arguments: [
        ("0/3", 0, 3),
        ("2/3", 2, 3),
        ("0/1", 0, 1),
    ])
    func parses(text: String, index: Int, count: Int) throws {
        let shard = try Shard(parsing: text)
        #expect(shard.index == index && shard.count == count)
        #expect(shard.description == text)
    }

    @Test(arguments: ["3/3", "-1/3", "0/0", "1", "a/b", "1/2/3", ""])
    func rejects(text: String) {
        #expect(throws: InvalidShard.self) { try Shard(parsing: text) }
    }
}
