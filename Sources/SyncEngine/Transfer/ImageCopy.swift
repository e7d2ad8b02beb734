import CatalogDiff
import Logging

/// Everything a run's copies share: the journal, the spool, the bandwidth limit and the counters.
struct CopyContext: Sendable {
    let journal: Journal?
    let runID: Int64?
    let spool: SpoolPolicy
    let budget: SpoolBudget
    let pace: RateLimiter?
    let counters: TransferCounters
    let observer: (any TransferObserver)?
}

/// Copies one source image to every target that lacks it, reading the source once.
///
/// The download fills the image's spool file (`SpoolFill`); each target's upload follows it (`SpoolReader`),
/// all at once, taking the bytes from memory as they arrive while it keeps up (`--spool auto`: a tee, the
/// file written beside the uploads) and from the file when it falls behind, so a slow target never makes the
/// source be read again nor holds the others back. A target whose upload breaks is uploaded again from the
/// spool. When the data read does not match the source's record,
/// the spool is emptied and read once more; the uploads, held back at their final chunk, fail until then.
/// The spool file goes once every target holds a verified copy; otherwise it stays, with the journal's
/// record of it, for the next run. Without a spool (`--spool never`, or an image over `--spool-max`) each
/// target's copy streams from the source on its own.
struct ImageCopy: Sendable {
    let source: CatalogEndpoint
    let image: ImageRecord
    /// One per target lacking the image, with that target's plan.
    let targets: [(transfer: ImageTransfer, plan: ImagePlan)]
    let context: CopyContext
    let logger: Logger

    /// The outcome on each target, in the order of `targets`.
    func run() async -> [Result<Int64, ReplicatorError>] {
        guard let size = image.size else {
            return targets.map { _ in .failure(.dataMismatch("the source record of image \(image.id) has no size")) }
        }
        context.observer?.started(image.id, name: image.name, size: size, targets: targets.count)
        // Targets that pull the image themselves (glance-download) need no byte from here; the others share
        // one read of the source.
        let pulling = targets.indices.filter { targets[$0].transfer.glanceDownload != nil }
        var results = [Result<Int64, ReplicatorError>](
            repeating: .failure(.interrupted("not run")),
            count: targets.count
        )
        await withTaskGroup(of: (Int, Result<Int64, ReplicatorError>).self) { group in
            for index in pulling {
                let target = targets[index]
                group.addTask {
                    do {
                        return (
                            index,
                            .success(
                                try await target.transfer.copyServerSide(
                                    target.plan,
                                    from: target.transfer.glanceDownload!
                                )
                            )
                        )
                    } catch {
                        return (index, .failure(Self.replicatorError(error)))
                    }
                }
            }
            for await (index, result) in group { results[index] = result }
        }
        let rest = targets.indices.filter { targets[$0].transfer.glanceDownload == nil }
        if !rest.isEmpty {
            let copy = ImageCopy(
                source: source,
                image: image,
                targets: rest.map { targets[$0] },
                context: context,
                logger: logger
            )
            for (index, result) in zip(rest, await copy.copyData(size: size)) { results[index] = result }
        }
        let errors = results.compactMap { result -> ReplicatorError? in
            if case .failure(let error) = result { return error }
            return nil
        }
        let failure = errors.first { !$0.isInterruption } ?? errors.first
        context.observer?.finished(image.id, error: failure.map { $0.isInterruption ? "interrupted" : $0.message })
        return results
    }

    /// Reads the source once for every target (through the spool, or streamed).
    private func copyData(size: Int64) async -> [Result<Int64, ReplicatorError>] {
        // A dump directory is local already: it is streamed from its file, never spooled.
        if case .glance(let client) = source, context.spool.mode != .never, await context.budget.reserve(size) {
            let results = await spooled(from: client, size: size)
            await context.budget.release(size)
            return results
        }
        return await streamed()
    }

    // MARK: without a spool

    private func streamed() async -> [Result<Int64, ReplicatorError>] {
        await withTaskGroup(of: (Int, Result<Int64, ReplicatorError>).self) { group in
            for (index, target) in targets.enumerated() {
                group.addTask {
                    do {
                        let bytes = try await target.transfer.copyStreaming(
                            target.plan,
                            pace: context.pace,
                            counters: context.counters
                        )
                        return (index, .success(bytes))
                    } catch {
                        return (index, .failure(Self.replicatorError(error)))
                    }
                }
            }
            var results = [Result<Int64, ReplicatorError>](
                repeating: .failure(.interrupted("not run")),
                count: targets.count
            )
            for await (index, result) in group { results[index] = result }
            return results
        }
    }

    func record(_ transfer: ImageTransfer, _ state: String, _ error: String? = nil) async throws {
        try await context.journal?.recordTarget(
            source: source.name,
            imageID: image.id,
            target: transfer.target.endpoint.root,
            state: state,
            runID: context.runID,
            error: error
        )
    }

    static func replicatorError(_ error: any Error) -> ReplicatorError {
        switch error {
        case let error as ReplicatorError: error
        case is CancellationError: .interrupted("stopped by a signal before it was complete")
        default: .unexpected(error)
        }
    }
}
