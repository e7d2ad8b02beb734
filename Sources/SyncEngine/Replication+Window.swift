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

    /// Marks the image at `index` and every image not yet started as `deferred`.
    static func deferRemaining<Pending: IteratorProtocol<Int>>(
        from index: Int,
        pending: inout Pending,
        plan: CatalogPlan,
        results: inout [ImageReport]
    ) {
        var next: Int? = index
        while let current = next {
            results[current] = ImageReport(plan: plan.images[current], result: .deferred)
            next = pending.next()
        }
    }
}
