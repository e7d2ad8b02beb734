import CatalogDiff
import Logging
import NIOCore
import OpenStackAPI

/// Carries out one image's plan on one target: the steps of a verified copy, or a metadata update.
///
/// A copy creates the record with the source's id and metadata (or reuses the target's empty `queued`
/// record), uploads the data (from the spool, or streamed straight from the source) while it is hashed,
/// holds back the final chunk until the hashes match, checks the target's own hashes once it is active, and
/// sets `protected` last. When a copy fails for good, a record holding wrong data or refused for a lasting
/// reason is deleted; an empty `queued` record left by a broken connection or an interruption is kept, for the
/// next run to fill (deleting it would burn the id: Glance never reuses a deleted image id).
struct ImageTransfer: Sendable {
    /// Where the data is read from: a Glance endpoint or a dump directory (`CatalogEndpoint.openData`).
    let source: CatalogEndpoint
    let target: GlanceClient
    let rules: FieldRules
    let logger: Logger
    /// This target's upload limit (`--bwlimit TARGET=RATE`).
    var uploadPace: RateLimiter? = nil
    /// `--preserve-owner` on a target whose credentials may set it: new records carry the source's owner.
    var preserveOwner = false
    /// Stores of a multi-store target each copy must end up in (`--stores`); empty for the default.
    var requiredStores: [String] = []
    /// Set when this target pulls images from the source region itself (`--transfer-mode glance-download`).
    var glanceDownload: GlanceDownloadSource?
    /// How data reaches this target (`--upload-method`).
    var uploadMethod: UploadMethod = .auto
    /// Set once this target refused `PUT /file`: every later copy goes through the import flow at once.
    var importOnly = ImportFallback()

    /// Sends an image's data to the target: `PUT /file`, or the interoperable import flow (stage, then the
    /// `glance-direct` import, polled to `active`) when asked or once the target has refused `PUT /file`
    /// with 403, as clouds whose policy allows data only through imports do.
    func sendData<Bytes: AsyncSequence & Sendable>(_ data: Bytes, of image: ImageRecord, size: Int64) async throws
    where Bytes.Element == ByteBuffer {
        let bytes = EventLoopPacedBody(base: data, eventLoops: Array(target.http.eventLoopGroup.makeIterator()))
        if uploadMethod == .import || importOnly.isSet {
            try await target.stage(image.id, bytes, size: size)
            try await target.importStaged(image.id)
            let timeout = Duration.nanoseconds(GlanceClient.allowance(forBytes: size).nanoseconds)
            _ = try await target.waitForImport(image.id, timeout: timeout)
            return
        }
        do {
            try await target.upload(image.id, bytes, size: size)
        } catch let error as ReplicatorError where error.isForbidden && uploadMethod == .put {
            throw ReplicatorError.requestFailed(
                target.endpoint.root,
                request: "PUT /v2/images/\(image.id)/file",
                status: 403,
                detail: "refused by the target's policy; it may take data only through imports: use "
                    + "--upload-method auto or import"
            )
        } catch let error as ReplicatorError where error.isForbidden && uploadMethod == .auto {
            guard try await target.importMethods().contains("glance-direct") else {
                throw ReplicatorError.requestFailed(
                    target.endpoint.root,
                    request: "PUT /v2/images/\(image.id)/file",
                    status: 403,
                    detail: "refused by the target's policy, and the target offers no glance-direct import "
                        + "(GET /v2/info/import): no way to send it data with these credentials"
                )
            }
            importOnly.set()
            let refusal = ReplicatorError.uploadRefused(target.endpoint.root, detail: "")
            logger.notice("\(refusal.message)", metadata: ["error": "\(error)"])
            throw refusal
        }
    }

    /// Streams the image from the source (no spool), retrying into the same record; returns the bytes moved.
    func copyStreaming(_ plan: ImagePlan, pace: RateLimiter?, counters: TransferCounters) async throws -> Int64 {
        guard let image = plan.source, let size = image.size else {
            throw ReplicatorError.dataMismatch("the source record of image \(plan.id) has no size")
        }
        let origin = try await prepareRecord(for: image, existing: plan.target)
        do {
            try await retryingUpload("copy failed, retrying") { attempt in
                // A failed upload returns the image to `queued`, ready for another; any other state is not ours
                // to retry into.
                if attempt > 1 { try await readyForUpload(image.id) }
                try await streamData(of: image, size: size)
                try await verifyTarget(against: image)
            }
        } catch {
            await giveUp(image, after: error, origin: origin)
            throw error
        }
        try await protectIfNeeded(image)
        return size

        func streamData(of image: ImageRecord, size: Int64) async throws {
            let body = try source.openData(
                of: image,
                size: size,
                maxResumes: ResumableDownload.defaultMaxResumes,
                logger: logger
            )
            let paces = [pace, uploadPace].compactMap { $0 }
            let verified = VerifyingByteStream(
                // Bigger chunks, fewer hops; as they come under a bandwidth limit, which paces each chunk.
                base: CoalescedBytes(base: body, coalescing: paces.isEmpty),
                expected: ExpectedData(image),
                source: source.name,
                paces: paces,
                onChunk: { counters.addRead($0) }
            )
            try await sendData(verified, of: image, size: size)
        }
    }

    /// Puts an active image into the stores of `required` it is not in yet (a `copy-image` import, polled),
    /// then checks that the target's hashes are still the source's.
    func ensureStores(_ image: ImageRecord, _ required: [String]) async throws {
        guard !required.isEmpty, let current = try await target.image(image.id) else { return }
        let lacking = required.filter { !current.stores.contains($0) }
        guard !lacking.isEmpty else { return }
        try target.requireNoImport(on: current)
        try await target.copyImage(image.id, toStores: lacking)
        let size = image.size ?? 0
        let timeout = Duration.nanoseconds(GlanceClient.allowance(forBytes: size).nanoseconds)
        _ = try await target.waitForStores(image.id, required, timeout: timeout)
        try await verifyTarget(against: image)
        logger.info("copied into stores", metadata: ["stores": "\(lacking.joined(separator: ","))"])
    }

    /// Has the target pull the image from the source region (`glance-download`), then checks its hashes and
    /// applies the full metadata (Glance copies only a few property prefixes), `protected` last. No byte
    /// passes through this host; Glance checks only the size, this checks the hashes.
    func copyServerSide(_ plan: ImagePlan, from source: GlanceDownloadSource) async throws -> Int64 {
        guard let image = plan.source, let size = image.size else {
            throw ReplicatorError.dataMismatch("the source record of image \(plan.id) has no size")
        }
        let origin = try await prepareRecord(for: image, existing: plan.target)
        do {
            if let current = try await target.image(image.id) { try target.requireNoImport(on: current) }
            try await target.importFromRegion(image.id, source: source)
            let timeout = Duration.nanoseconds(GlanceClient.allowance(forBytes: size).nanoseconds)
            _ = try await target.waitForImport(image.id, method: source.method, timeout: timeout)
            let stored = try await verifyTarget(against: image)
            var wanted = image
            wanted.protected = stored.protected
            let changes = rules.changes(from: wanted, to: stored)
            if !changes.isEmpty {
                _ = try await target.updateImage(image.id, ImageWrite.patch(for: changes))
            }
        } catch {
            await giveUp(image, after: error, origin: origin)
            throw error
        }
        try await protectIfNeeded(image)
        return size
    }

    /// The copy is complete and verified; if this fails the next run sees metadata drift.
    func protectIfNeeded(_ image: ImageRecord) async throws {
        guard image.protected else { return }
        _ = try await target.updateImage(
            image.id,
            [PatchOperation(op: .replace, path: "/protected", value: .bool(true))]
        )
    }

    /// Applies a plan's metadata changes with one JSON-patch request.
    func updateMetadata(_ plan: ImagePlan) async throws {
        if let current = plan.target, current.status != ImageStatus.queued {
            let fixed = plan.changes.filter { $0.field == "disk_format" || $0.field == "container_format" }
            if let change = fixed.first {
                throw ReplicatorError.cannotRepair(
                    "\(change.field) is \(change.target) on the target but \(change.source) on the source, and Glance "
                        + "changes it only on a queued image: delete the target image and run again to copy it anew"
                )
            }
        }
        _ = try await target.updateImage(plan.id, ImageWrite.patch(for: plan.changes))
    }

    /// The one upload-retry policy, for streamed and spooled uploads alike: runs `operation` (attempt 1, 2, …)
    /// until it succeeds; a `ReplicatorError` is tried again as often as `maxAttempts(after:)` allows, after
    /// `pauseBeforeUploadRetry`, unless `giveUpIf` names a failure that ends the copy (the source side's) or
    /// the task is cancelled. `beforeRetry` runs before each pause. Any other error ends it as it is.
    func retryingUpload<T>(
        _ message: String,
        giveUpIf stop: () -> ReplicatorError? = { nil },
        beforeRetry: () -> Void = {},
        _ operation: (_ attempt: Int) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation(attempt)
            } catch {
                if let failure = stop() { throw failure }
                guard let error = error as? ReplicatorError, attempt < maxAttempts(after: error), !Task.isCancelled
                else { throw error }
                logger.info("\(message)", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                beforeRetry()
                try await Task.sleep(for: pauseBeforeUploadRetry(attempt))
                attempt += 1
            }
        }
    }

    /// The pause before an upload is tried again: the usual backoff, but at least two seconds, because the
    /// server may still be cleaning up the failed upload (returning the image to `queued`); an upload that
    /// starts meanwhile meets a state change, and Glance answers that by deleting the image (410 Gone).
    func pauseBeforeUploadRetry(_ attempt: Int) -> Duration {
        let backoff = target.retry.delay(beforeRetry: attempt, retryAfter: nil)
        return max(.seconds(2), .nanoseconds(backoff.nanoseconds))
    }

    /// Transient failures (connection errors, 5xx) are retried as often as requests are; a verification
    /// failure once, from a fresh read, in case the corruption happened on the way.
    func maxAttempts(after error: ReplicatorError) -> Int {
        if error.isTransient { return target.retry.attempts }
        return error.isDataMismatch ? 2 : 1
    }

    // MARK: steps

    /// Creates the target record, or brings an existing empty one in line with the source; returns whose
    /// the record is (`RecordOrigin`), judged before this patches anything.
    @discardableResult
    func prepareRecord(for image: ImageRecord, existing: ImageRecord?) async throws -> RecordOrigin {
        var reusable = existing
        if reusable == nil {
            do {
                _ = try await target.createImage(ImageWrite.createBody(for: image, rules: rules, owner: preserveOwner))
                logger.debug("created target record")
                return .created
            } catch let error as ReplicatorError where error.isConflict {
                // Taken meanwhile (or by an earlier, cut-off attempt of this request), or burnt by a deletion.
                guard let current = try await target.image(image.id) else {
                    throw ReplicatorError.idUnavailable(image.id, endpoint: target.endpoint.root)
                }
                reusable = current
            }
        }
        guard var record = reusable else { return .found(ours: false) }
        let origin = RecordOrigin.found(ours: isOurs(record))
        if record.status == ImageStatus.saving {
            // An upload cut off by a killed run: Glance returns the image to queued once it notices.
            guard let current = try await waitWhileSaving(image.id) else {
                throw vanished(image.id, during: "while waiting for it to leave 'saving'")
            }
            record = current
        }
        guard record.status == ImageStatus.queued else { throw notWritable(record) }
        // Formats are needed before data is accepted, so they are set even when --dontreplicate names them.
        var recordRules = rules
        recordRules.excluded.subtract(["disk_format", "container_format"])
        var wanted = image
        wanted.protected = false
        let changes = recordRules.changes(from: wanted, to: record)
        if !changes.isEmpty {
            _ = try await target.updateImage(image.id, ImageWrite.patch(for: changes))
        }
        logger.debug("reusing the target's empty record")
        return origin
    }

    /// The target computed its own hashes while storing: they must be the source's.
    /// Returns the target's record as stored.
    @discardableResult
    func verifyTarget(against image: ImageRecord) async throws -> ImageRecord {
        guard let stored = try await target.image(image.id) else {
            throw ReplicatorError.dataMismatch("image \(image.id) vanished from the target right after its upload")
        }
        guard stored.status == ImageStatus.active else {
            throw ReplicatorError.dataMismatch("the target left image \(image.id) '\(stored.status)' after its upload")
        }
        if case .different(let fields) = DataComparison(source: image, target: stored) {
            let what = fields.map { "\($0.field) \($0.target) (source \($0.source))" }.joined(separator: ", ")
            throw ReplicatorError.dataMismatch("the target stored different data: \(what)")
        }
        return stored
    }

    /// Makes sure the record can take an upload: a cut-off upload leaves it `saving` until Glance notices
    /// and returns it to `queued`. A record still busy after the wait is reported with its true status.
    func readyForUpload(_ id: String) async throws {
        guard let record = try await settledRecord(id) else { throw vanished(id, during: "during its upload") }
        guard record.status == ImageStatus.queued else { throw notWritable(record) }
    }

    /// Why a record that is not `queued` cannot take data: busy (reported with its status, left for a later
    /// run), or in another state that is not this copy's to change.
    private func notWritable(_ record: ImageRecord) -> ReplicatorError {
        if ImageStatus.busy.contains(record.status) {
            return .imageBusy(record.id, endpoint: target.endpoint.root, status: record.status)
        }
        return .cannotRepair(
            "image \(record.id) on \(target.endpoint.root) is '\(record.status)' and records no data to compare "
                + "with the source's: left as it is; delete it on the target and run again to copy it anew"
        )
    }

    /// The target answered 404 for an image this run was writing: deleted there, so its id is burnt.
    private func vanished(_ id: String, during what: String) -> ReplicatorError {
        .vanishedDuringUpload(id, endpoint: target.endpoint.root, during: what)
    }

    /// The target's record as it is once a cut-off upload no longer holds it `saving` (Glance returns such a
    /// record to `queued` a moment later): read, and waited for while `saving`; nil once the target answers 404.
    func settledRecord(_ id: String) async throws -> ImageRecord? {
        let record = try await target.image(id)
        guard record?.status == ImageStatus.saving else { return record }
        return try await waitWhileSaving(id)
    }

    /// Polls a `saving` record for a few seconds; returns it once it left `saving`, or as it is after the
    /// wait (still `saving`); nil once the target answers 404.
    func waitWhileSaving(_ id: String, seconds: Int = 10) async throws -> ImageRecord? {
        var record: ImageRecord?
        for _ in 0..<(seconds * 2) {
            try await Task.sleep(for: .milliseconds(500))
            record = try await target.image(id)
            guard let current = record, current.status == ImageStatus.saving else { return record }
        }
        return record
    }
}
