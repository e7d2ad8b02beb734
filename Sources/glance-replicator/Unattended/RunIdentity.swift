import CatalogDiff
import Foundation
import Synchronization

/// This process's run: an id that every log line carries (`run_id`), so that one run's lines can be picked
/// out of a log system that collects many; how stderr is written; and the report, for the metrics file.
enum RunIdentity {
    static let id = UUID().uuidString.lowercased()

    /// Whether stderr carries JSON lines (`--log-format json`): then error lines are JSON too, so that every
    /// stderr line of the run parses.
    static let errorsAsJSON = Mutex(false)

    /// The report the run printed (set by `ReportOutput`).
    static let report = Mutex<Report?>(nil)
}
