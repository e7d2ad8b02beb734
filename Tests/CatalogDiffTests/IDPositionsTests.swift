import Foundation
import Testing

@testable import CatalogDiff

/// The id index built on every core finds what a single dictionary built in order finds.
@Suite("Positions by id, built on every core")
struct IDPositionsTests {
    /// `count` ids: some listed twice or three times, some left out (nil), and, when `skewed`, every id
    /// ending in the same byte (one shard holds them all).
    static func ids(_ count: Int, skewed: Bool) -> [String?] {
        (0..<count).map { index in
            if index % 97 == 5 { return nil }
            let number = index % 7 == 3 ? index / 2 : index  // repeats of earlier ids
            return "id-\(number)" + (skewed ? "-0" : "")
        }
    }

    static func sequential(_ ids: [String?], keeping repeats: IDPositions.Repeats) -> [String: Int] {
        var positions: [String: Int] = [:]
        for (index, id) in ids.enumerated() {
            guard let id else { continue }
            if repeats == .last || positions[id] == nil { positions[id] = index }
        }
        return positions
    }

    @Test(arguments: [0, 1, 4095, 4096, 20_000], [false, true])
    func findsWhatOneDictionaryFinds(count: Int, skewed: Bool) {
        let ids = Self.ids(count, skewed: skewed)
        for repeats in [IDPositions.Repeats.first, .last] {
            let index = IDPositions(count: ids.count, keeping: repeats) { ids[$0] }
            let expected = Self.sequential(ids, keeping: repeats)
            for (id, position) in expected { #expect(index[id] == position, "\(id)") }
            #expect(index["absent"] == nil)
            #expect(index[""] == nil)
        }
    }

    /// A plan made with the index: every image matched to its counterpart as before, repeats included.
    @Test func planMatchesTheLastTargetRecordOfAnID() {
        let source = (0..<6000).map { activeImage(uuid($0), name: "n-\($0)", size: Int64($0)) }
        var target = source
        target.append(activeImage(uuid(10), name: "n-10-again", size: 10))  // listed twice: the last counts
        let plan = CatalogPlan(source: source, target: target, scope: ImageScope(), rules: FieldRules())
        #expect(plan.summary.inSync == 5999)
        #expect(plan.summary.metadataDrift == 1)
        #expect(plan.images.first { $0.id == uuid(10) }?.target?.name == "n-10-again")
    }

    func uuid(_ index: Int) -> String { "00000000-0000-4000-8000-" + String(format: "%012d", index) }
}
