import CatalogDiff
import Foundation
import Logging

extension Replication {
    /// Whether a new image may be started now: always without a window, else only inside it. Checked
    /// before each image, so a run that reaches the window's end finishes the images it has started and
    /// starts no more.
    static func mayStart(within window: TimeWindow?, now: Date = Date(), logger: Logger) -> Bool {
        guard let window, !window.contains(now) else { return true }
        logger.notice("outside the window: no new image is started", metadata: ["window": "\(window)"])
        return false
    }

    /// Marks `item` and every item not yet started as `deferred`.
    static func deferRemaining<Pending: IteratorProtocol<WorkItem>>(
        from item: WorkItem,
        pending: inout Pending,
        plans: [CatalogPlan],
        results: inout [ResultKey: ImageReport]
    ) {
        var next: WorkItem? = item
        while let current = next {
            for key in current.keys {
                results[key] = ImageReport(plan: plans[key.target].images[key.plan], result: .deferred)
            }
            next = pending.next()
        }
    }
}
