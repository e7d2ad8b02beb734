import CatalogDiff
import Foundation
import SyncEngine

extension AuditOptions {
    /// Writes `--report` and `--report-html`, when given.
    func writeFiles(_ report: Report) throws {
        if let reportFile { try Self.write(to: reportFile) { sink in ReportJSON.write(report, to: sink) } }
        if let htmlReportFile { try Self.write(Data(HTMLReport.page(report).utf8), to: htmlReportFile) }
    }

    func writeFiles(_ report: SizeReport) throws {
        if let reportFile { try Self.write(to: reportFile) { sink in ReportJSON.write(report, to: sink) } }
        if let htmlReportFile { try Self.write(Data(HTMLReport.page(report).utf8), to: htmlReportFile) }
    }

    /// A JSON report, streamed into a temporary file that is then renamed (with a final newline). The
    /// temporary file is created exclusively and 0600 (a report names private images).
    static func write(to path: String, _ produce: ((UnsafeRawBufferPointer) -> Void) -> Void) throws {
        let descriptor: Int32
        let temporary: String
        do {
            (descriptor, temporary) = try OwnFile.createTemporary(beside: path)
        } catch {
            throw ReplicatorError.reportUnwritable(path, reason: "\(error)")
        }
        guard let file = fdopen(descriptor, "w") else {
            close(descriptor)
            unlink(temporary)
            throw ReplicatorError.reportUnwritable(path, reason: String(cString: strerror(errno)))
        }
        var failed = false
        produce { bytes in
            if !failed, fwrite(bytes.baseAddress, 1, bytes.count, file) != bytes.count { failed = true }
        }
        if fputs("\n", file) < 0 { failed = true }
        let reason = String(cString: strerror(errno))
        if fclose(file) != 0 || failed {
            unlink(temporary)
            throw ReplicatorError.reportUnwritable(path, reason: reason)
        }
        guard rename(temporary, path) == 0 else {
            throw ReplicatorError.reportUnwritable(path, reason: String(cString: strerror(errno)))
        }
    }

    /// Written to a temporary name and renamed, so a monitoring system never reads half a report.
    static func write(_ data: Data, to path: String) throws {
        do {
            try OwnFile.replace(path, with: data)
        } catch {
            throw ReplicatorError.reportUnwritable(path, reason: "\(error)")
        }
    }
}

extension AuditOptions {
    /// Writes `--report` and `--report-html` of a `sync` run.
    func writeFiles(_ report: SyncReport) throws {
        if let reportFile { try Self.write(ReportOutput.jsonDocument(report), to: reportFile) }
        if let htmlReportFile { try Self.write(Data(HTMLReport.page(report).utf8), to: htmlReportFile) }
    }
}
