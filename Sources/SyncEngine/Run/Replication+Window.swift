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
}
