import CatalogDiff
import Logging

/// Whose a target record is, as far as deleting it goes. The deletion rule (README "Safety", SECURITY.md):
/// after a failed copy the tool deletes a target record only when it made that record itself (in this run,
/// or in an earlier one: the record carries this source's provenance property) and the record holds no good
/// data; `--prune` deletes with its own guards. Anything else is left as it is and reported.
enum RecordOrigin: Sendable, Hashable {
    /// This run's `POST /v2/images` made it.
    case created
    /// It was on the target already; `ours` when, as found (before this run patched it), it named this
    /// source in its provenance property: an earlier run of this tool made it.
    case found(ours: Bool)

    var isOurs: Bool {
        switch self {
        case .created: true
        case .found(let ours): ours
        }
    }
}

extension ImageStatus {
    /// States in which a server is writing the image's data: such a record is left for a later run.
    public static let busy: Set<String> = [saving, uploading, importing]
}

extension ReplicatorError {
    /// Whether the target record a failed copy leaves behind is kept for the next run whatever its owner:
    /// the fault may pass (connection errors, 5xx, a signal, a refusal of `PUT /file` the import flow
    /// answers), the record is busy, or the fault is this host's own (the spool's disk, the journal).
    var keepsTargetRecord: Bool {
        isTransient || isInterruption || isForbidden || isBusy || isLocalFault || isIDUnavailable
    }
}

extension ImageTransfer {
    /// Whether a target record, as found, is a copy this tool made from this source (its provenance).
    func isOurs(_ record: ImageRecord) -> Bool {
        record.properties[Provenance.property] == source.name
    }

    /// After a copy of `image` failed for good. An empty `queued` record left by a broken connection, a
    /// signal, a local fault or the target's refusal of `PUT /file` is kept for the next run to fill, because
    /// deleting it would burn the id. Otherwise the record is deleted only when this tool made it (`origin`),
    /// it is not busy (`saving`, `uploading`, `importing` as the target answers now) and it holds no good
    /// data: never a target image the tool did not create, whatever the error.
    func giveUp(_ image: ImageRecord, after error: any Error, origin: RecordOrigin?) async {
        if error is CancellationError { return }
        if let error = error as? ReplicatorError, error.keepsTargetRecord {
            logger.info("kept the target record for the next run", metadata: ["error": "\(error)"])
            return
        }
        guard let origin, origin.isOurs else {
            logger.notice(
                "left the target image as it is: this tool did not create it",
                metadata: ["error": "\(error)"]
            )
            return
        }
        let current: ImageRecord?
        do {
            // The upload this copy cut off leaves the record `saving` until the target notices (a moment later
            // on a busy server): wait for that before judging the record busy.
            current = try await settledRecord(image.id)
        } catch {
            logger.warning("left the target record: its state could not be read", metadata: ["error": "\(error)"])
            return
        }
        guard let current else { return }
        if ImageStatus.busy.contains(current.status) {
            logger.notice(
                "left the target record for a later run: it is '\(current.status)'",
                metadata: ["error": "\(error)"]
            )
            return
        }
        if current.status == ImageStatus.active, DataComparison(source: image, target: current) == .same {
            logger.info("kept the target copy: its data is the source's", metadata: ["error": "\(error)"])
            return
        }
        do {
            try await target.deleteImage(image.id)
            logger.info("removed the half-made target image", metadata: ["error": "\(error)"])
        } catch {
            logger.warning("could not remove the half-made target image", metadata: ["error": "\(error)"])
        }
    }
}
