import CatalogDiff
import Logging

/// Carries out one image's plan on one target: a verified copy, or a metadata update.
///
/// A copy creates the record with the source's id and metadata (or reuses the target's empty `queued`
/// record), streams the data straight from source to target while hashing it, holds back the final chunk
/// until the hashes match, checks the target's own hashes once it is active, and sets `protected` last.
/// When the copy fails the half-made record is deleted, so nothing is left `queued` or `saving`.
struct ImageTransfer: Sendable {
    /// Broken source connections resumed within one copy before it fails.
    static let maxResumes = 8

    /// Where the data is read from: a Glance endpoint or a dump directory (`CatalogEndpoint.openData`).
    let source: CatalogEndpoint
    let target: GlanceClient
    let rules: FieldRules
    let logger: Logger

    /// Returns the bytes moved.
    func copy(_ plan: ImagePlan) async throws -> Int64 {
        guard let image = plan.source, let size = image.size else {
            throw ReplicatorError.dataMismatch("the source record of image \(plan.id) has no size")
        }
        try await prepareRecord(for: image, existing: plan.target)
        var attempt = 1
        while true {
            do {
                try await streamData(of: image, size: size)
                try await verifyTarget(against: image)
                break
            } catch let error as ReplicatorError where attempt < maxAttempts(after: error) {
                // A failed upload returns the image to `queued`, ready for another; any other state is not ours
                // to retry into.
                let delay = target.retry.delay(beforeRetry: attempt, retryAfter: nil)
                logger.info("copy failed, retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                try await Task.sleep(nanoseconds: UInt64(delay.nanoseconds))
                let current = try? await target.image(image.id)
                guard current?.status == ImageStatus.queued else {
                    await removeHalfMade(image.id, after: error)
                    throw error
                }
                attempt += 1
            } catch {
                await removeHalfMade(image.id, after: error)
                throw error
            }
        }
        if image.protected {
            // The copy is complete and verified; if this fails the next run sees metadata drift.
            _ = try await target.updateImage(
                image.id,
                [PatchOperation(op: .replace, path: "/protected", value: .bool(true))]
            )
        }
        return size
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

    /// Transient failures (connection errors, 5xx) are retried as often as requests are; a verification
    /// failure once, from a fresh read, in case the corruption happened on the way.
    private func maxAttempts(after error: ReplicatorError) -> Int {
        if error.isTransient { return target.retry.attempts }
        return error.isDataMismatch ? 2 : 1
    }

    // MARK: steps

    /// Creates the target record, or brings an existing empty one in line with the source.
    private func prepareRecord(for image: ImageRecord, existing: ImageRecord?) async throws {
        var reusable = existing
        if reusable == nil {
            do {
                _ = try await target.createImage(ImageWrite.createBody(for: image, rules: rules))
                logger.debug("created target record")
                return
            } catch let error as ReplicatorError where error.status == 409 {
                // Taken meanwhile (or by an earlier, cut-off attempt of this request), or burnt by a deletion.
                guard let current = try await target.image(image.id) else {
                    throw ReplicatorError.idUnavailable(image.id, endpoint: target.endpoint.root)
                }
                reusable = current
            }
        }
        guard let record = reusable else { return }
        guard record.status == ImageStatus.queued else {
            throw ReplicatorError.imageBusy(image.id, endpoint: target.endpoint.root, status: record.status)
        }
        // Formats are needed before data is accepted, so they are set even when --dontreplicate names them.
        let recordRules = FieldRules(excluded: rules.excluded.subtracting(["disk_format", "container_format"]))
        var wanted = image
        wanted.protected = false
        let changes = recordRules.changes(from: wanted, to: record)
        if !changes.isEmpty {
            _ = try await target.updateImage(image.id, ImageWrite.patch(for: changes))
        }
        logger.debug("reusing the target's empty record")
    }

    private func streamData(of image: ImageRecord, size: Int64) async throws {
        let body = try source.openData(of: image, size: size, maxResumes: Self.maxResumes, logger: logger)
        let verified = VerifyingByteStream(
            base: body,
            expected: ExpectedData(image),
            source: source.name,
            onChunk: { _ in }
        )
        try await target.upload(image.id, verified, size: size)
    }

    /// The target computed its own hashes while storing: they must be the source's.
    private func verifyTarget(against image: ImageRecord) async throws {
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
    }

    private func removeHalfMade(_ id: String, after error: any Error) async {
        do {
            try await target.deleteImage(id)
            logger.info("removed the half-made target image", metadata: ["error": "\(error)"])
        } catch {
            logger.warning("could not remove the half-made target image", metadata: ["error": "\(error)"])
        }
    }
}
