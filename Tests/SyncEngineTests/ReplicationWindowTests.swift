import CatalogDiff
import Foundation
import Logging
import Testing

@testable import OpenStackAPI
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
}
