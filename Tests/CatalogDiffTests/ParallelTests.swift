import Foundation
import Synchronization
import Testing

@testable import CatalogDiff

@Suite("Planning large catalogs on every core")
struct ParallelTests {
    @Test(arguments: [0, 1, 4095, 4096, 10_001])
    func mapKeepsOrder(count: Int) {
        #expect(Parallel.map(count) { $0 * 3 } == (0..<count).map { $0 * 3 })
    }

    @Test(arguments: [0, 1, 2, 8, 33])
    func mapPiecesKeepsOrder(count: Int) {
        #expect(Parallel.mapPieces(count) { "piece \($0)" } == (0..<count).map { "piece \($0)" })
    }

    /// A few large pieces (a report's chunks, a sort's halves) run at once, not one after the other: the
    /// first piece waits for the second to have started, which one core doing both in turn never sees.
    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount > 1, "one core: nothing runs at once"))
    func mapPiecesRunsPiecesAtOnce() {
        let started = Atomic<Int>(0)
        let sawOther = Parallel.mapPieces(2) { piece -> Bool in
            started.add(1, ordering: .sequentiallyConsistent)
            let deadline = ContinuousClock.now + .seconds(20)
            while started.load(ordering: .sequentiallyConsistent) < 2 {
                if ContinuousClock.now > deadline { return false }
                usleep(100)
            }
            return true
        }
        #expect(sawOther == [true, true])
    }

    @Test(arguments: [10, 20_000])
    func sortedIndicesAreAStableSort(count: Int) {
        var generator = SystemRandomNumberGenerator()
        let keys = (0..<count).map { _ in Int.random(in: 0..<50, using: &generator) }
        #expect(Parallel.sortedIndices(keys) == keys.indices.sorted { keys[$0] < keys[$1] })
    }

    @Test func bothComputesEach() {
        let (a, b) = Parallel.both({ (1...100).reduce(0, +) }, { "x" + "y" })
        #expect(a == 5050)
        #expect(b == "xy")
    }

    /// Packed names, where exact, must order exactly as the strings do.
    @Test func packedNamesOrderAsStrings() {
        let names = [
            "", "a", "A", "a ", "a0", "ab", "abcdefgh", "abcdefgh0", "abcdefghijklmnop", "abcdefghijklmnopq",
            "abcdefghijklmnoq", "ubuntu-22.04-server-cloudimg-amd", "ubuntu-22.04-server-cloudimg-amd64", "Z", "~",
            "é", "e\u{301}", "debian-12", "debian-12.1", "debian-2", "z\u{0}",
        ]
        for left in names {
            for right in names {
                let (l, r) = (PackedName(left), PackedName(right))
                #expect(l.isExact == (left.utf8.count <= 32 && left.utf8.allSatisfy { $0 != 0 && $0 < 0x80 }))
                if l.isExact, r.isExact {
                    #expect((l < r) == (left < right), "\(left) < \(right)")
                    #expect((l == r) == (left == right), "\(left) == \(right)")
                }
            }
        }
    }

    @Test func reportOrderIsNameThenIdForEveryKindOfName() {
        let names = [
            "b", "a", "é", "e\u{301}x", String(repeating: "x", count: 40) + "2",
            String(repeating: "x", count: 40) + "1", "a",
        ]
        var plans = names.enumerated().map { index, name in
            ImagePlan(
                id: "id-\(names.count - index)",
                state: .missing,
                action: .copy,
                source: activeImage("s", name: name),
                target: nil
            )
        }
        let expected = plans.map { ($0.name ?? "", $0.id) }.sorted { $0 < $1 }
        CatalogPlan.sortForReport(&plans)
        #expect(plans.map { $0.name ?? "" } == expected.map(\.0))
        #expect(plans.map(\.id) == expected.map(\.1))
    }

    @Test func largePlanMatchesTheSequentialDefinition() {
        let source = (0..<9000).map { activeImage("id-\($0)", name: "n-\($0 % 97)", size: Int64($0)) }
        var target = source.filter { Int($0.size!) % 10 != 0 }
        target[5].name = "renamed"
        target.append(activeImage("extra-1", name: "n-3"))
        let plan = CatalogPlan(source: source, target: target, scope: ImageScope(), rules: FieldRules())
        #expect(plan.images.count == 9001)
        // id-1000 (size 1000) is missing, and extra-1 holds data of that size and hash under its own id.
        #expect(plan.summary.missing == 899)
        #expect(plan.images.first { $0.id == "id-1000" }?.sameContentAs == "extra-1")
        #expect(plan.summary.metadataDrift == 1)
        #expect(plan.summary.extra == 1)
        let order = plan.images.map { ($0.name ?? "", $0.id) }
        #expect(zip(order, order.dropFirst()).allSatisfy { $0 < $1 })
    }
}
