import CatalogDiff
import Foundation
import Logging
import Testing

@testable import SyncEngine

@Suite("Window: no new image outside it")
struct ReplicationWindowTests {
    let logger = Logger(label: "test")

    /// A date today at `hours:minutes` on the local clock, which is what windows are read on.
    func today(_ hours: Int, _ minutes: Int) throws -> Date {
        try #require(Calendar.current.date(bySettingHour: hours, minute: minutes, second: 0, of: Date()))
    }

    @Test(arguments: [(23, 0, true), (1, 59, true), (2, 0, false), (12, 0, false)])
    func mayStartOnlyInside(hours: Int, minutes: Int, expected: Bool) throws {
        let window = try TimeWindow(parsing: "22:00-02:00")
        #expect(Replication.mayStart(within: window, now: try today(hours, minutes), logger: logger) == expected)
        #expect(Replication.mayStart(within: nil, now: try today(hours, minutes), logger: logger))
    }

    @Test func deferringMarksTheImageAndEveryOneNotStarted() {
        let plan = CatalogPlan(
            source: (0..<5).map { ImageRecord(id: "i\($0)", name: "n\($0)", size: 10, checksum: "c") },
            target: [],
            scope: ImageScope(),
            rules: FieldRules()
        )
        let work = WorkItem.items(plans: [plan], order: .name)
        var results: [Replication.ResultKey: ImageReport] = [:]
        var pending = work.dropFirst(2).makeIterator()
        Replication.deferRemaining(from: work[1], pending: &pending, plans: [plan], results: &results)
        #expect(results.count == 4)
        #expect(results.values.allSatisfy { $0.result == .deferred })
        #expect(results[Replication.ResultKey(target: 0, plan: 0)] == nil, "the first image had started")
        #expect(pending.next() == nil)
    }
}
