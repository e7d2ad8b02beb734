import CatalogDiff
import Foundation
import Synchronization

extension ReportOutput {
    /// A `sync` report: the JSON document, or the matrix for people.
    static func print(_ report: SyncReport, format: OutputFormat) throws {
        // The metrics file reads per-region counts from the one-source shape.
        RunIdentity.report.withLock { $0 = report.asReport }
        switch format {
        case .json: try printJSON(report)
        case .table: FileHandle.standardOutput.write(Data(table(report).utf8))
        }
    }

    /// The regions' short labels (R1, R2, ...), the matrix's column headers.
    static func regionLabels(_ report: SyncReport) -> [String] {
        report.regions.indices.map { "R\($0 + 1)" }
    }

    /// One cell's text: its state, then what the run does about it and how that went.
    static func cellText(_ cell: SyncCellReport) -> String {
        switch cell.action {
        case .none: cell.state.rawValue
        default: "\(cell.state.rawValue)>\(cell.action.rawValue):\(cell.result.rawValue)"
        }
    }

    static func table(_ report: SyncReport) -> String {
        // Every server-supplied string is made inert (`TerminalText`): a name must not forge a line.
        let inert = TerminalText.inert
        let labels = regionLabels(report)
        var out = ""
        for (label, region) in zip(labels, report.regions) {
            out += "\(label): \(inert(region.region))"
            if !region.listed { out += " (not listed: \(inert(region.error ?? "unknown error")))" }
            out += "\n"
        }
        out += "\n"
        if report.images.isEmpty {
            out += "(no images in scope)\n"
        } else {
            let header = ["NAME", "SIZE"] + labels + ["ID"]
            let rows = report.images.map { image in
                [inert(image.name ?? ""), humanBytes(image.bytes)] + image.cells.map(cellText) + [inert(image.id)]
            }
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { index, text in
                    if index == 1 { return String(repeating: " ", count: widths[index] - text.count) + text }
                    return index == cells.count - 1
                        ? text : text.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }.joined(separator: "  ") + "\n"
            }
            out += line(header)
            for (image, row) in zip(report.images, rows) {
                out += line(row)
                for (label, cell) in zip(labels, image.cells) {
                    for change in cell.changes {
                        out +=
                            "    \(label) \(inert(change.field)): \(inert("\(change.target)")) -> \(inert("\(change.source)"))\n"
                    }
                    if let twin = cell.sameContentAs { out += "    \(label) same data as image \(inert(twin))\n" }
                    if let error = cell.error { out += "    \(label) error: \(inert(error))\n" }
                }
            }
        }
        out += "\n"
        for (label, region) in zip(labels, report.regions) {
            out += "\(label) summary: \(summaryLine(region, of: report))\n"
            if let refusal = region.pruneRefused { out += "\(label) prune refused: \(refusal.message)\n" }
            if let owner = region.owner { out += "\(label) owner: \(owner.message)\n" }
            if let members = region.members { out += "\(label) " + memberLines(members) }
        }
        return out
    }

    /// One region's counts, non-zero states only, then what the run did there.
    static func summaryLine(_ region: SyncRegionReport, of report: SyncReport) -> String {
        let counts = MeshCellState.allCases.compactMap { state -> String? in
            let count = region.summary.states[state.rawValue] ?? 0
            return count > 0 ? "\(count) \(state.rawValue)" : nil
        }
        var line = (counts.isEmpty ? "no images" : counts.joined(separator: ", "))
        line += "; \(humanBytes(region.summary.bytesToCopy)) to copy"
        if region.summary.toDelete > 0 { line += ", \(region.summary.toDelete) to delete" }
        if !report.dryRun, let column = report.regions.firstIndex(of: region) {
            let cells = report.images.map { $0.cells[column] }
            let done = cells.filter { $0.result == .done }.count
            let failed = cells.filter { $0.result == .failed }.count
            line += "; \(done) done, \(failed) failed"
            let deferred = cells.filter { $0.result == .deferred }.count
            if deferred > 0 { line += ", \(deferred) deferred" }
        }
        return line
    }
}
