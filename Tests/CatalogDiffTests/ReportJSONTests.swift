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
                activeImage("off", status: ImageStatus.deactivated),
                activeImage("never", status: ImageStatus.deactivated),
                ImageRecord(id: "queued", name: "q", status: ImageStatus.queued),
            ],
            target: [
                target, activeImage("sync"), activeImage("conflict", checksum: "x"), copy,
                activeImage("twin", checksum: "md5-d", hash: "sha-d"), activeImage("off"),
            ],
            scope: ImageScope(),
            rules: FieldRules(),
            options: PlanOptions(prune: PrunePolicy(source: "http://r1", maxDelete: 0), replicatesStatus: true)
        )
        let results: [ImageResult] = [.done, .failed, .skipped, .planned]
        let images = plan.images.enumerated().map { index, image in
            ImageReport(
                plan: image,
                result: results[index % results.count],
                error: index % 4 == 1 ? "it broke: \"quoted\" \u{2028}" : nil
            )
        }
        var owned = TargetReport(target: "http://owned", summary: PlanSummary([]), images: [])
        owned.owner = .replicatingProject
        owned.members = MemberSummary(added: 2, errors: ["image 1: refused \"quoted\""])
        owned.lowestUploadLimit = 2
        owned.members?.missing = 1
        owned.members?.extra = 1
        var members = MemberPlan(
            source: [ImageMember(project: "p1", status: "accepted"), ImageMember(project: "p2", status: nil)],
            target: [ImageMember(project: "p1", status: "pending"), ImageMember(project: "x\"y", status: "rejected")],
            mapping: [:],
            pruneExtra: true
        ).members
        members[1].result = .done
        owned.members?.images = [MemberImageReport(id: "s", name: nil, members: members)]
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
                owned,
            ]
        )
    }

    @Test func planReportIsByteForByteJSONEncoders() throws {
        let report = Self.richReport()
        #expect(report.targets[0].pruneRefused != nil)
        #expect(report.targets[0].images.contains { $0.sameContentAs != nil })
        #expect(report.targets[2].owner != nil)
        #expect(report.targets[2].members != nil)
        #expect(report.targets[2].lowestUploadLimit != nil)
        let expected = try Self.encoder().encode(report)
        let written = Data(ReportJSON.encode(report))
        #expect(
            written == expected,
            "\(String(decoding: written, as: UTF8.self))\n---\n\(String(decoding: expected, as: UTF8.self))"
        )
    }

    /// Over 8 chunks of 2048 images (a batch): the chunks written on several cores join into the same text.
    @Test func largeReportIsByteForByteJSONEncoders() throws {
        let states = ImageState.allCases
        let images = (0..<17_000).map { index in
            ImageReport(
                plan: ImagePlan(
                    id: "id-\(index)",
                    state: states[index % states.count],
                    action: .copy,
                    source: activeImage("id-\(index)", name: "n-\(index)"),
                    target: nil
                ),
                result: .planned
            )
        }
        let report = Report(
            source: "s",
            dryRun: true,
            targets: [TargetReport(target: "t", summary: PlanSummary([]), images: images)]
        )
        #expect(Data(ReportJSON.encode(report)) == (try Self.encoder().encode(report)))
        var pieces = 0
        ReportJSON.write(report) { _ in pieces += 1 }
        #expect(pieces > 1, "written in pieces, never whole")
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
