import CatalogDiff
import Foundation

extension ReportOutput {
    static func print(_ report: SizeReport, format: OutputFormat) throws {
        switch format {
        case .json:
            ReportJSON.write(report, to: standardOutput)
            [UInt8(0x0a)].withUnsafeBytes(standardOutput)
        case .table:
            FileHandle.standardOutput.write(Data(table(report).utf8))
        }
    }

    /// One row per image (sizes right-aligned), and the summary line last.
    static func table(_ report: SizeReport) -> String {
        var out = "source: \(TerminalText.inert(report.source))\n\n"
        let header = ["SIZE", "BYTES", "VISIBILITY", "ID", "NAME"]
        let rows = report.images.map { image in
            [
                humanBytes(image.bytes), String(image.bytes), image.visibility.rawValue, TerminalText.inert(image.id),
                TerminalText.inert(image.name ?? ""),
            ]
        }
        if rows.isEmpty {
            out += "(no images in scope)\n"
        } else {
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            for row in [header] + rows {
                let cells = row.enumerated().map { index, cell in
                    let pad = String(repeating: " ", count: widths[index] - cell.count)
                    if index < 2 { return pad + cell }
                    return index == row.count - 1 ? cell : cell + pad
                }
                out += cells.joined(separator: "  ") + "\n"
            }
        }
        let summary = report.summary
        out +=
            "\nsummary: \(summary.images) images, \(humanBytes(summary.bytes)) (\(summary.bytes) bytes)\n"
        return out
    }
}
