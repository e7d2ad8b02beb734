import CatalogDiff
import Foundation
import Testing

@Suite("Report JSON: the direct writer is JSONEncoder's output")
struct ReportJSONTests {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A report with every state, action and result, odd strings, and each optional key both ways.
    static func richReport() -> Report {
        var drifted = activeImage("drift", name: "na\"me\\ with/slash\n\t\u{1}\u{1f}\u{7f} é ✓ 😀", tags: ["b", "a"])
        drifted.minDisk = 3
        var target = activeImage("drift", name: "old", tags: ["c"], properties: ["gone": "1"])
        target.protected = true
        var copy = activeImage("orphan", properties: [Provenance.property: "http://r1"])
        copy.name = nil
        let plan = CatalogPlan(
            source: [
                drifted, activeImage("sync"), activeImage("missing", size: 5), activeImage("conflict"),
                activeImage("dup", checksum: "md5-d", hash: "sha-d"),
            ],
            target: [
                target, activeImage("sync"), activeImage("conflict", checksum: "x"), copy,
                activeImage("twin", checksum: "md5-d", hash: "sha-d"),
            ],
            scope: ImageScope(),
            rules: FieldRules(),
            options: PlanOptions(prune: PrunePolicy(source: "http://r1", maxDelete: 0))
        )
        let results: [ImageResult] = [.done, .failed, .skipped, .planned]
        let images = plan.images.enumerated().map { index, image in
            ImageReport(
                plan: image,
                result: results[index % results.count],
                error: index % 4 == 1 ? "it broke: \"quoted\" \u{2028}" : nil
            )
        }
        return Report(
            source: "http://src/v2",
            dryRun: false,
            targets: [
                TargetReport(
                    target: "dir:/a b",
                    summary: plan.summary,
                    images: images,
                    pruneRefused: plan.pruneRefused
                ),
                TargetReport(target: "http://empty", summary: PlanSummary([]), images: []),
            ]
        )
    }

    @Test func planReportIsByteForByteJSONEncoders() throws {
        let report = Self.richReport()
        #expect(report.targets[0].pruneRefused != nil)
        #expect(report.targets[0].images.contains { $0.sameContentAs != nil })
        let expected = try Self.encoder().encode(report)
        let written = Data(ReportJSON.encode(report))
        #expect(
            written == expected,
            "\(String(decoding: written, as: UTF8.self))\n---\n\(String(decoding: expected, as: UTF8.self))"
        )
    }

    @Test func emptyReportIsByteForByteJSONEncoders() throws {
        let report = Report(source: "s", dryRun: true, targets: [])
        #expect(Data(ReportJSON.encode(report)) == (try Self.encoder().encode(report)))
    }

    @Test func sizeReportIsByteForByteJSONEncoders() throws {
        var unnamed = activeImage("2", size: 7)
        unnamed.name = nil
        for catalog in [[], [activeImage("1", name: "a \"b\""), unnamed, activeImage("3", visibility: .community)]] {
            let report = SizeReport(source: "dir:/x", catalog: catalog, scope: ImageScope())
            #expect(Data(ReportJSON.encode(report)) == (try Self.encoder().encode(report)))
        }
    }
}
