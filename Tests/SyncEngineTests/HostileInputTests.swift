import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import NIOCore
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

private let nativeID = "aaaaaaaa-1111-4111-8111-111111111111"
private let copiedID = "bbbbbbbb-2222-4222-8222-222222222222"

/// A run of `replicate` from one hostile Glance to another, in-process, as the CLI runs it.
private func replicate(
    from source: HostileGlance,
    to target: HostileGlance,
    spool: SpoolPolicy = SpoolPolicy(mode: .never, directory: "", maxBytes: nil),
    scope: ImageScope = ImageScope(),
    pruneMembers: Bool = false
) async throws -> Report {
    var options = ReplicationOptions(
        mode: .replicate(dryRun: false),
        scope: scope,
        rules: FieldRules(),
        token: "staged-token",
        concurrency: 1,
        spool: spool
    )
    options.environment = [:]
    options.members = pruneMembers
    options.pruneMembers = pruneMembers
    return try await Replication.run(
        source: try ImageLocation(parsing: "127.0.0.1:\(source.port)"),
        targets: [try ImageLocation(parsing: "127.0.0.1:\(target.port)")],
        options: options,
        logger: Logger(label: "hostile-glance-test")
    )
}

/// A run of `sync` over hostile Glances, in-process, as the CLI runs it.
private func sync(_ regions: [HostileGlance]) async throws -> SyncReport {
    var options = ReplicationOptions(
        mode: .replicate(dryRun: false),
        scope: ImageScope(),
        rules: FieldRules(),
        token: "staged-token",
        concurrency: 2,
        spool: SpoolPolicy(mode: .never, directory: "", maxBytes: nil)
    )
    options.environment = [:]
    return try await Sync.run(
        regions: try regions.map { try ImageLocation(parsing: "127.0.0.1:\($0.port)") },
        options: options,
        logger: Logger(label: "hostile-glance-test")
    )
}

private func withHostilePair(
    source images: [HostileImage],
    target held: [HostileImage],
    upload: HostileGlance.Upload = .store(checksum: HostileGlance.dataMD5, hashValue: HostileGlance.dataSHA512),
    _ body: (HostileGlance, HostileGlance) async throws -> Void
) async throws {
    let source = try await HostileGlance.start(images)
    let target = try await HostileGlance.start(held, upload: upload)
    do {
        try await body(source, target)
    } catch {
        try? await source.stop()
        try? await target.stop()
        throw error
    }
    try await source.stop()
    try await target.stop()
}

private func scratchDirectory() throws -> String {
    let path = ScratchDirectory.unusedURL("hostile").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Each case stages one thing a hostile or broken Glance does; every test asserts what the servers saw
/// (no DELETE of an image the tool did not create, no request built from an invalid id) and what the disk
/// holds (no file outside its folder).
@Suite("Hostile Glance input")
struct HostileInputTests {
    @Test func idsThatAreNotUUIDsAreInvalidAndNeverReachAURL() async throws {
        // Other data than the source's (else the copy would be reported as the same content under another id).
        var native = HostileImage(id: nativeID, name: "native image of the target")
        native.checksum = String(repeating: "1", count: 32)
        native.hashValue = String(repeating: "2", count: 128)
        let crafted = [
            HostileImage(id: nativeID + "#x", name: "points at a target image"),
            HostileImage(id: "../../x", name: "climbs out of folders"),
            HostileImage(id: nativeID + "/file", name: "adds a segment"),
        ]
        try await withHostilePair(source: crafted + [HostileImage(id: copiedID)], target: [native]) { source, target in
            let report = try await replicate(from: source, to: target)
            let images = Dictionary(uniqueKeysWithValues: report.targets[0].images.map { ($0.id, $0) })
            for image in crafted {
                let entry = try #require(images[image.id])
                #expect(entry.state == .invalid)
                #expect(entry.action == .ignore)
                #expect(entry.error?.contains("not a UUID") == true)
            }
            #expect(report.targets[0].summary.invalid == 3)
            #expect(images[copiedID]?.result == .done)
            // The target's own image: never deleted, never touched at all.
            #expect(target.deletes.isEmpty)
            #expect(target.image(nativeID) != nil)
            #expect(!target.requests.contains { $0.path.contains(nativeID) })
            // No request on either side was built from an invalid id.
            for request in source.requests + target.requests {
                #expect(!request.uri.contains("#") && !request.uri.contains("..") && !request.uri.contains("%23"))
            }
        }
    }

    /// `sync` over three regions, one of which lists crafted ids and absurd sizes, another holding one of the
    /// crafted ids too: the valid image reaches every region; a crafted record is reported where it is held,
    /// and nowhere copied, repaired or deleted; no request on any region is built from it.
    @Test func syncNeverActsOnAnInvalidRecordInAnyRegion() async throws {
        let crafted = [
            HostileImage(id: nativeID + "#x", name: "points at another image"),
            HostileImage(id: "../../x", name: "climbs out of folders"),
            HostileImage(id: nativeID + "/file", name: "adds a segment"),
            HostileImage(id: "cccccccc-3333-4333-8333-333333333333", size: Int64.max),
        ]
        let a = try await HostileGlance.start(crafted + [HostileImage(id: copiedID, name: "valid")])
        let b = try await HostileGlance.start([HostileImage(id: "../../x", name: "held twice")])
        let c = try await HostileGlance.start([])
        let regions = [a, b, c]
        do {
            let report = try await sync(regions)
            let rows = Dictionary(uniqueKeysWithValues: report.images.map { ($0.id, $0) })
            // The valid image: copied from its origin to the two others.
            let valid = try #require(rows[copiedID])
            #expect(valid.origin == report.regions[0].region)
            #expect(valid.cells.dropFirst().allSatisfy { $0.result == .done }, "\(valid.cells)")
            #expect(b.image(copiedID) != nil && c.image(copiedID) != nil)
            // Each crafted record: invalid where held, nothing planned anywhere.
            for image in crafted {
                let row = try #require(rows[image.id])
                for (index, cell) in row.cells.enumerated() {
                    let held = regions[index].ids.contains(image.id)
                    #expect(cell.state == (held ? .invalid : .absent), "\(image.id) in region \(index)")
                    #expect(!cell.action.isWork && cell.result != .done)
                    if held { #expect(cell.error?.isEmpty == false) }
                }
            }
            // What the regions hold afterwards: their own records, and the valid copy; nothing deleted.
            #expect(a.ids.sorted() == (crafted.map(\.id) + [copiedID]).sorted())
            #expect(b.ids.sorted() == ["../../x", copiedID].sorted())
            #expect(c.ids == [copiedID])
            for region in regions {
                #expect(region.deletes.isEmpty)
                for request in region.requests {
                    #expect(!request.uri.contains("#") && !request.uri.contains("..") && !request.uri.contains("%23"))
                    #expect(!request.uri.contains("cccccccc-3333"), "\(request.method) \(request.uri)")
                }
            }
        } catch {
            for region in regions { try? await region.stop() }
            throw error
        }
        for region in regions { try await region.stop() }
    }

    @Test func aDumpOfCraftedIDsWritesNothingOutsideItsFolder() async throws {
        let scratch = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let source = try await HostileGlance.start([
            HostileImage(id: "../../x"), HostileImage(id: "../escaped"), HostileImage(id: copiedID),
        ])
        defer { Task { try? await source.stop() } }
        var options = ReplicationOptions(
            mode: .replicate(dryRun: false),
            scope: ImageScope(),
            rules: FieldRules(),
            token: "staged-token",
            concurrency: 1
        )
        options.environment = [:]
        let report = try await Replication.dump(
            source: try ImageLocation(parsing: "127.0.0.1:\(source.port)"),
            to: DumpDirectory(path: scratch + "/a/dump"),
            options: options,
            metaOnly: false,
            logger: Logger(label: "hostile-dump-test")
        )
        #expect(report.targets[0].images.filter { $0.state == .invalid }.count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch) == ["a"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch + "/a") == ["dump"])
        #expect(
            Set(try FileManager.default.contentsOfDirectory(atPath: scratch + "/a/dump"))
                == ["\(copiedID).json", "\(copiedID).img"]
        )
    }

    @Test(arguments: ["importing", "uploading", "saving"])
    func aBusyTargetRecordIsReportedWithItsStatusAndKept(status: String) async throws {
        let busy = HostileImage(id: copiedID, status: status, size: nil, checksum: nil, hashValue: nil)
        try await withHostilePair(source: [HostileImage(id: copiedID)], target: [busy]) { source, target in
            let report = try await replicate(from: source, to: target)
            let entry = try #require(report.targets[0].images.first { $0.id == copiedID })
            #expect(entry.result == .failed)
            #expect(entry.error?.contains("'\(status)'") == true)
            #expect(entry.error?.contains("HTTP 410") == false, "\(entry.error ?? "")")
            #expect(target.deletes.isEmpty)
            #expect(target.image(copiedID)?.status == status)
        }
    }

    @Test func anEmptyRecordTheToolDidNotMakeIsNeverDeleted() async throws {
        // A native `queued` record under the source's id, without this tool's provenance: the copy into it
        // fails for a reason that is not transient, and the record stays.
        let native = HostileImage(id: copiedID, status: "queued", size: nil, checksum: nil, hashValue: nil)
        try await withHostilePair(source: [HostileImage(id: copiedID)], target: [native], upload: .refuse(.badRequest))
        {
            source,
            target in
            let report = try await replicate(from: source, to: target)
            #expect(report.targets[0].images.first?.result == .failed)
            #expect(target.deletes.isEmpty)
            #expect(target.image(copiedID) != nil)
        }
    }

    @Test func anEmptyRecordThisRunMadeIsDeletedAfterAPermanentFailure() async throws {
        // The control that shows the test above can fail: the tool's own record goes.
        try await withHostilePair(source: [HostileImage(id: copiedID)], target: [], upload: .refuse(.badRequest)) {
            source,
            target in
            _ = try await replicate(from: source, to: target)
            #expect(target.deletes == ["/v2/images/\(copiedID)"])
        }
    }

    @Test func anEmptyRecordAnEarlierRunMadeIsDeletedAfterAPermanentFailure() async throws {
        // The record names this source in its provenance property: an earlier run of the tool made it.
        let source = try await HostileGlance.start([HostileImage(id: copiedID)])
        var earlier = HostileImage(id: copiedID, status: "queued", size: nil, checksum: nil, hashValue: nil)
        earlier.properties[Provenance.property] = source.root
        let target = try await HostileGlance.start([earlier], upload: .refuse(.badRequest))
        defer {
            Task {
                try? await source.stop()
                try? await target.stop()
            }
        }
        _ = try await replicate(from: source, to: target)
        #expect(target.deletes == ["/v2/images/\(copiedID)"])
    }

    @Test func theToolsOwnCopyWithWrongDataIsDeleted() async throws {
        let wrong = String(repeating: "0", count: 32)
        try await withHostilePair(
            source: [HostileImage(id: copiedID)],
            target: [],
            upload: .store(checksum: wrong, hashValue: HostileGlance.dataSHA512)
        ) { source, target in
            let report = try await replicate(from: source, to: target)
            #expect(report.targets[0].images.first?.result == .failed)
            #expect(target.deletes == ["/v2/images/\(copiedID)"])
        }
    }

    @Test func theToolsOwnRecordLeftSavingIsKeptAndReportedAsSaving() async throws {
        // The target's worker dies mid-upload: the record stays `saving` while the target answers 200.
        let spool = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        try await withHostilePair(
            source: [HostileImage(id: copiedID)],
            target: [],
            upload: .dieSaving(.badGateway)
        ) { source, target in
            let report = try await replicate(
                from: source,
                to: target,
                spool: SpoolPolicy(mode: .auto, directory: spool, maxBytes: nil)
            )
            let entry = try #require(report.targets[0].images.first)
            #expect(entry.result == .failed)
            #expect(entry.error?.contains("'saving'") == true)
            #expect(entry.error?.contains("HTTP 410") == false, "\(entry.error ?? "")")
            #expect(entry.error?.contains("vanished") == false)
            #expect(target.deletes.isEmpty)
            #expect(target.image(copiedID)?.status == "saving")
        }
    }

    /// A target listing a member `..` of a copy: with `--prune-members` the extra member is never sent in a
    /// DELETE's URL (`/members/..`, resolved by a proxy on the path, is the image itself); the run says so,
    /// and the image and its other members are left as they are or pruned, never the image deleted.
    @Test(arguments: ["..", ".", ""])
    func aDotOnlyMemberIdIsNeverPutInADeleteURL(_ hostile: String) async throws {
        var shared = HostileImage(id: nativeID, properties: ["visibility": "shared"])
        shared.members = ["p1"]
        var copy = shared
        copy.members = ["p1", hostile, "gone"]
        try await withHostilePair(source: [shared], target: [copy]) { source, target in
            let report = try await replicate(
                from: source,
                to: target,
                scope: ImageScope(visibilities: [.shared]),
                pruneMembers: true
            )
            #expect(
                target.deletes.allSatisfy { $0 == "/v2/images/\(nativeID)/members/gone" },
                "only the real extra member may be removed: \(target.deletes)"
            )
            #expect(target.image(nativeID) != nil)
            let errors = report.targets[0].members?.errors ?? []
            #expect(errors.contains { $0.contains("cannot name a member in a URL") }, "\(errors)")
        }
    }

    @Test func absurdSizesAreInvalidAndNothingIsCreated() async throws {
        let absurd = [
            HostileImage(id: "cccccccc-3333-4333-8333-333333333333", size: -5),
            HostileImage(id: "dddddddd-4444-4444-8444-444444444444", size: Int64.max),
            HostileImage(id: "eeeeeeee-5555-4555-8555-555555555555", size: Int64.max - 1),
        ]
        try await withHostilePair(source: absurd, target: []) { source, target in
            let report = try await replicate(from: source, to: target)
            #expect(report.targets[0].images.allSatisfy { $0.state == .invalid && $0.bytes >= 0 })
            #expect(report.targets[0].images.allSatisfy { $0.error?.contains("out of range") == true })
            #expect(report.targets[0].summary.bytesToCopy == 0)
            #expect(!target.requests.contains { $0.method == .POST || $0.method == .PUT })
        }
    }

    @Test func aListingThatRepeatsAMarkerEndsWithOneFatalLine() async throws {
        let glance = try await HostileGlance.start([HostileImage(id: copiedID)], paging: .loop)
        defer { Task { try? await glance.stop() } }
        let client = try Self.client(glance)
        let error = await #expect(throws: ReplicatorError.self) { try await client.listImages() }
        #expect(error?.category == .fatal)
        #expect(error?.message.contains("loops") == true)
        #expect(glance.requests.count == 2)
    }

    @Test func anEndlessListingStopsAtThePageLimit() async throws {
        let glance = try await HostileGlance.start([], paging: .endless)
        defer { Task { try? await glance.stop() } }
        var client = try Self.client(glance)
        #expect(client.pageLimit == 10_000)
        client.pageLimit = 200
        let error = await #expect(throws: ReplicatorError.self) { try await client.listImages() }
        #expect(error?.category == .fatal)
        #expect(error?.message.contains("past 200 pages") == true)
        #expect(glance.requests.count == 200)
    }

    @Test func aDribbledAnswerMeetsTheTotalDeadline() async throws {
        // One byte every 200 ms never trips the read timeout; the total deadline ends each attempt.
        let glance = try await HostileGlance.start([HostileImage(id: copiedID)], dribble: .milliseconds(200))
        defer { Task { try? await glance.stop() } }
        var client = try Self.client(glance)
        client.requestDeadline = .seconds(1)
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: ReplicatorError.self) { try await client.listImages() }
        #expect(error?.message.contains("longer than 1 s in all") == true)
        // A guard against a hang, generous: this process's other tests may hold both cores' threads for tens
        // of seconds, and this test resumes only when it gets one.
        #expect(clock.now - started < .seconds(120))
    }

    @Test func localFaultsAndBusyRecordsKeepTheTargetRecord() {
        #expect(ReplicatorError.spool("/spool/x.part", "cannot write it: No space left on device").keepsTargetRecord)
        #expect(ReplicatorError.journal("/state.sqlite", "database or disk is full").keepsTargetRecord)
        #expect(ReplicatorError.imageBusy(copiedID, endpoint: "http://t", status: "saving").keepsTargetRecord)
        #expect(!ReplicatorError.dataMismatch("md5 differs").keepsTargetRecord)
        #expect(ReplicatorError.spool("/x", "y").isLocalFault && !ReplicatorError.dataMismatch("x").isLocalFault)
    }

    static func client(_ glance: HostileGlance) throws -> GlanceClient {
        guard case .glance(let endpoint) = try ImageLocation(parsing: "127.0.0.1:\(glance.port)") else {
            throw ReplicatorError.invalidOption("not Glance")
        }
        return GlanceClient(
            endpoint: endpoint,
            http: HTTPClient.shared,
            token: "staged-token",
            retry: RetryPolicy(attempts: 2, initialBackoff: .milliseconds(10), maximumBackoff: .seconds(1)),
            logger: Logger(label: "hostile-glance-test")
        )
    }
}
