import CatalogDiff
import Foundation
import Synchronization

/// Prints a report on stdout: the JSON document, or aligned tables for people.
enum ReportOutput {
    static func print(_ report: Report, format: OutputFormat) throws {
        RunIdentity.report.withLock { $0 = report }
        switch format {
        case .json:
            ReportJSON.write(report, to: standardOutput)
            [UInt8(0x0a)].withUnsafeBytes(standardOutput)
        case .table:
            FileHandle.standardOutput.write(Data(table(report).utf8))
        }
    }

    /// Any document as the JSON output prints it: pretty, keys sorted, one trailing newline.
    static func printJSON(_ value: some Encodable) throws {
        FileHandle.standardOutput.write(try jsonDocument(value))
    }

    /// Any document as the JSON output prints it, with its trailing newline.
    static func jsonDocument(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value) + Data("\n".utf8)
    }

    /// Writes bytes to stdout as they come (a large report is never held whole).
    static func standardOutput(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let count = write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                return  // stdout closed (a pipe whose reader left): nothing more can be said there
            }
            offset += count
        }
    }

    /// `--members`: the counts, then each member that differs and each image whose members failed, inert.
    static func memberLines(_ members: MemberSummary) -> String {
        let inert = TerminalText.inert
        var out = "members: \(members.added) added to shared copies"
        out += ", \(members.removed) removed, \(members.missing) missing, \(members.extra) extra\n"
        for image in members.images {
            for member in image.members where member.state != .inSync {
                out += "    \(inert(image.id)) \(inert(member.member)): \(member.state.rawValue), "
                out += "\(member.action.rawValue) (status at source \(inert(member.sourceStatus ?? "-")), "
                out += "on target \(inert(member.targetStatus ?? "-")))\n"
            }
        }
        for error in members.errors { out += "    error: \(inert(error))\n" }
        return out
    }

    static func table(_ report: Report) -> String {
        // Every server-supplied string is made inert (`TerminalText`): a name must not forge a line.
        let inert = TerminalText.inert
        var out = "source: \(inert(report.source))\n"
        for target in report.targets {
            out += "target: \(inert(target.target))\n"
            if let owner = target.owner { out += "owner: \(owner.message)\n" }
            out += "\n"
            let header = ["STATE", "ACTION", "RESULT", "SIZE", "ID", "NAME"]
            let rows = target.images.map { image in
                [
                    image.state.rawValue, image.action.rawValue, image.result.rawValue, humanBytes(image.bytes),
                    inert(image.id), inert(image.name ?? ""),
                ]
            }
            let widths = header.indices.map { column in
                ([header] + rows).map { $0[column].count }.max() ?? 0
            }
            let sizeColumn = header.firstIndex(of: "SIZE")
            func line(_ cells: [String]) -> String {
                zip(cells, widths).enumerated().map { index, pair in
                    if index == sizeColumn {  // numbers read best right-aligned
                        return String(repeating: " ", count: pair.1 - pair.0.count) + pair.0
                    }
                    return index == cells.count - 1
                        ? pair.0 : pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0)
                }.joined(separator: "  ") + "\n"
            }
            if rows.isEmpty {
                out += "(no images in scope)\n"
            } else {
                out += line(header)
                for (image, row) in zip(target.images, rows) {
                    out += line(row)
                    for change in image.changes {
                        out +=
                            "    \(inert(change.field)): \(inert("\(change.target)")) -> \(inert("\(change.source)"))\n"
                    }
                    if let twin = image.sameContentAs { out += "    same data as target image \(inert(twin))\n" }
                    if let error = image.error { out += "    error: \(inert(error))\n" }
                }
            }
            if let members = target.members { out += "\n" + memberLines(members) }
            if let refusal = target.pruneRefused { out += "\nprune refused: \(refusal.message)\n" }
            out += "\n" + summaryLine(target, dryRun: report.dryRun) + "\n"
        }
        return out
    }

    static func summaryLine(_ target: TargetReport, dryRun: Bool) -> String {
        let s = target.summary
        var line: String =
            "summary: \(s.inSync) in sync, \(s.missing) missing, \(s.metadataDrift) metadata drift, "
            + "\(s.dataConflict) data conflict, \(s.extra) extra"
        // Issue 4's counts appear only when non-zero, so the line scripts already match stays as it was.
        if s.sameContentOtherID > 0 { line += ", \(s.sameContentOtherID) same content under another id" }
        if s.missingInStores > 0 { line += ", \(s.missingInStores) missing in stores" }
        if s.statusDrift > 0 { line += ", \(s.statusDrift) status drift" }
        if s.deactivatedAtSource > 0 { line += ", \(s.deactivatedAtSource) deactivated at source (not copied)" }
        if s.noData > 0 { line += ", \(s.noData) without data at source" }
        line += "; \(humanBytes(s.bytesToCopy)) to copy"
        if s.toDelete > 0 { line += ", \(s.toDelete) to delete" }
        if !dryRun {
            let done = target.images.filter { $0.result == .done }.count
            let failed = target.images.filter { $0.result == .failed }.count
            line += "; \(done) done, \(failed) failed"
            let deleted = target.images.filter { $0.action == .delete && $0.result == .done }.count
            if deleted > 0 { line += ", \(deleted) deleted" }
            let deferred = target.images.filter { $0.result == .deferred }.count
            if deferred > 0 { line += ", \(deferred) deferred (outside --window or past the run's limits)" }
        }
        return line
    }

    /// Binary units, one decimal: `1000 B`, `1.5 MiB` (`Quantity.describe`).
    static func humanBytes(_ bytes: Int64) -> String {
        Quantity.describe(bytes: bytes)
    }
}
