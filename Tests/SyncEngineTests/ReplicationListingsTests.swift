import CatalogDiff
import Foundation
import Logging
import Synchronization
import Testing

@testable import SyncEngine

/// `Replication.run(…, keeping:)` hands what it listed and planned to its caller once the report is made
/// (the CLI keeps it until exit rather than free it): the report is the one a run that frees it makes.
@Suite("A run's listings handed to the caller")
struct ReplicationListingsTests {
    func dump(_ label: String, _ records: [(id: String, name: String)]) throws -> ImageLocation {
        let root = ScratchDirectory.unusedURL(label)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for (id, name) in records {
            let text =
                #"{"id":"\#(id)","name":"\#(name)","status":"active","visibility":"public","size":10,"#
                + #""checksum":"\#(String(repeating: "a", count: 32))","disk_format":"raw","container_format":"bare"}"#
            try Data(text.utf8).write(to: root.appendingPathComponent("\(id).json"))
        }
        return try ImageLocation(parsing: "dir:\(root.path)")
    }

    func id(_ index: Int) -> String { String(format: "%08x-0000-4000-8000-000000000000", index) }

    @Test(arguments: [0, 3, 5000])
    func theListingsAreHandedOverOnceAndTheReportIsUnchanged(count: Int) async throws {
        let source = try dump("source", (0..<count).map { (id($0), "image-\($0)") })
        // The target lacks every tenth image, holds one of its own, and has one renamed.
        var held = (0..<count).filter { $0 % 10 != 0 }.map { (id: id($0), name: "image-\($0)") }
        if !held.isEmpty { held[0].name = "renamed" }
        held.append((id(count + 1), "extra"))
        let target = try dump("target", held)
        var options = ReplicationOptions(mode: .compare, scope: ImageScope(), rules: FieldRules(), token: nil)
        options.environment = [:]
        let logger = Logger(label: "listings-test")

        let handedOver = Mutex<[Replication.Listings]>([])
        let kept = try await Replication.run(source: source, targets: [target], options: options, logger: logger) {
            listings in handedOver.withLock { $0.append(listings) }
        }
        let freed = try await Replication.run(source: source, targets: [target], options: options, logger: logger)

        #expect(ReportJSON.encode(kept) == ReportJSON.encode(freed))
        #expect(kept.targets.first?.summary.extra == 1)
        let listings = handedOver.withLock { $0 }
        #expect(listings.count == 1)
        #expect(listings.first?.sourceImages.count == count)
        #expect(listings.first?.plans.count == 1)
        #expect(listings.first?.plans.first?.images.count == kept.targets.first?.images.count)
    }
}
