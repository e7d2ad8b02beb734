import CatalogDiff
import Foundation
import SyncEngine

extension AuditOptions {
    /// Writes `--report` and `--report-html`, when given.
    func writeFiles(_ report: Report) throws {
        if let reportFile { try Self.write(try ReportOutput.json(report) + Data("\n".utf8), to: reportFile) }
        if let htmlReportFile { try Self.write(Data(HTMLReport.page(report).utf8), to: htmlReportFile) }
    }

    func writeFiles(_ report: SizeReport) throws {
        if let reportFile { try Self.write(try ReportOutput.json(report) + Data("\n".utf8), to: reportFile) }
        if let htmlReportFile { try Self.write(Data(HTMLReport.page(report).utf8), to: htmlReportFile) }
    }

    /// Written to a temporary name and renamed, so a monitoring system never reads half a report.
    static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw ReplicatorError.reportUnwritable(path, reason: error.localizedDescription)
        }
        guard rename(temporary, path) == 0 else {
            throw ReplicatorError.reportUnwritable(path, reason: String(cString: strerror(errno)))
        }
    }
}
