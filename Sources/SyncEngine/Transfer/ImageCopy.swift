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

    // MARK: through the spool

    private func spooled(from client: GlanceClient, size: Int64) async -> [Result<Int64, ReplicatorError>] {
        let sourceRoot = source.name
        let expected = ExpectedData(image)
        let path = context.spool.path(source: sourceRoot, imageID: image.id)
        var results = [Result<Int64, ReplicatorError>?](repeating: nil, count: targets.count)
        let file: SpoolFile
        var start: Int64 = 0
        do {
            file = try SpoolFile(path: path)
            let earlier = try await context.journal?.transfer(source: sourceRoot, imageID: image.id)
            let held = try file.length()
            if let earlier, earlier.expected == expected, held <= size {
                start = held
            } else {
                try file.truncate(to: 0)
            }
            try await context.journal?.beginTransfer(
                source: sourceRoot,
                image: image,
                expected: expected,
                spoolPath: path
            )
        } catch {
            return targets.map { _ in .failure(Self.replicatorError(error)) }
        }

        // Records first: a target that cannot take the image drops out before any byte is read.
        var origins = [RecordOrigin?](repeating: nil, count: targets.count)
        for (index, target) in targets.enumerated() {
            do {
                origins[index] = try await target.transfer.prepareRecord(for: image, existing: target.plan.target)
                try await record(target.transfer, "created")
            } catch {
                results[index] = .failure(Self.replicatorError(error))
            }
        }

        var fetchError: ReplicatorError?
        for attempt in 1...2 {
            let pending = results.indices.filter { results[$0] == nil }
            guard !pending.isEmpty else { break }
            let feed = SpoolFeed(
                size: size,
                window: context.spool.mode == .auto ? SpoolFeed.defaultWindow : 0
            )
            // Every upload is registered before the first byte is read, so that the download waits for them.
            let uploads = pending.map { (index: $0, id: feed.join()) }
            let fill = SpoolFill(
                source: client,
                imageID: image.id,
                expected: expected,
                file: file,
                feed: feed,
                journal: context.journal,
                pace: context.pace,
                counters: context.counters,
                observer: context.observer,
                logger: logger
            )
            fetchError = nil
            if context.spool.mode == .always {
                // The whole image is on local disk, verified, before any upload starts.
                do { try await fill.run(from: start) } catch { fetchError = Self.replicatorError(error) }
                if fetchError == nil {
                    for (index, result) in await upload(uploads, file: file, feed: feed, fresh: attempt == 1) {
                        results[index] = result
                    }
                }
            } else {
                await withTaskGroup(of: [(Int, Result<Int64, ReplicatorError>)]?.self) { group in
                    group.addTask { [start] in
                        do { try await fill.run(from: start) } catch {
                            return [(-1, .failure(Self.replicatorError(error)))]
                        }
                        return nil
                    }
                    group.addTask { await upload(uploads, file: file, feed: feed, fresh: attempt == 1) }
                    for await outcome in group {
                        for (index, result) in outcome ?? [] {
                            if index < 0, case .failure(let error) = result {
                                fetchError = error
                            } else {
                                results[index] = result
                            }
                        }
                    }
                }
            }
            guard let error = fetchError else { break }
            for index in pending { results[index] = nil }
            if error.isDataMismatch && attempt == 1 {
                // Perhaps corrupted on the way: read it all again, once.
                logger.info("the data read did not verify, reading it again", metadata: ["error": "\(error)"])
                start = 0
                do { try file.truncate(to: 0) } catch {
                    fetchError = Self.replicatorError(error)
                    break
                }
                continue
            }
            break
        }
        if let fetchError {
            for index in results.indices where results[index] == nil {
                results[index] = .failure(fetchError)
            }
            if fetchError.isDataMismatch {
                // The source's data is not what it records: nothing of it is worth keeping.
                SpoolFile.remove(path)
                try? await context.journal?.endTransfer(source: sourceRoot, imageID: image.id)
            }
        }
        let final = results.map { $0 ?? .failure(.interrupted("not run")) }
        for (index, result) in final.enumerated() {
            guard case .failure(let error) = result else { continue }
            await targets[index].transfer.giveUp(image, after: error, origin: origins[index])
            try? await record(targets[index].transfer, error.isInterruption ? "interrupted" : "failed", error.message)
        }
        if final.contains(where: { if case .failure = $0 { true } else { false } }), fetchError?.isDataMismatch != true
        {
            // Kept for the next run: on disk before this one ends.
            file.synchronize()
        }
        if final.allSatisfy({ if case .success = $0 { true } else { false } }) {
            // Deleted before it was flushed: the kernel drops its pages without writing them to the disk.
            SpoolFile.remove(path)
            do {
                try await context.journal?.endTransfer(source: sourceRoot, imageID: image.id)
            } catch {
                logger.warning("could not record the end of the transfer", metadata: ["error": "\(error)"])
            }
        }
        return final
    }

    /// Uploads the spool to each of the `pending` targets at once; a target whose upload fails for a reason of
    /// its own is uploaded again from the spool, as often as requests are retried.
    private func upload(
        _ pending: [(index: Int, id: Int)],
        file: SpoolFile,
        feed: SpoolFeed,
        fresh: Bool
    ) async -> [(Int, Result<Int64, ReplicatorError>)] {
        await withTaskGroup(of: (Int, Result<Int64, ReplicatorError>).self) { group in
            for (index, id) in pending {
                group.addTask {
                    let result = await uploadOne(targets[index].transfer, file: file, feed: feed, id: id, fresh: fresh)
                    return (index, result)
                }
            }
            var results: [(Int, Result<Int64, ReplicatorError>)] = []
            for await result in group { results.append(result) }
            return results
        }
    }

    /// `id`: the upload's in the feed (`SpoolFeed.join`). `fresh`: the record was just prepared; otherwise an
    /// earlier upload into it was cut off and Glance must first have returned it to `queued`.
    private func uploadOne(
        _ transfer: ImageTransfer,
        file: SpoolFile,
        feed: SpoolFeed,
        id: Int,
        fresh: Bool
    ) async -> Result<Int64, ReplicatorError> {
        var id = id
        defer { feed.leave(id) }
        do {
            return .success(
                try await transfer.retryingUpload(
                    "upload failed, uploading again from the spool",
                    // The source side failed: the caller decides what comes next.
                    giveUpIf: { feed.failure },
                    beforeRetry: {
                        // From the start again: from the file until it catches up with the window, if it does;
                        // the download no longer waits for it meanwhile.
                        feed.leave(id)
                        id = feed.join()
                    }
                ) { attempt in
                    if !fresh || attempt > 1 { try await transfer.readyForUpload(image.id) }
                    try await record(transfer, "uploading")
                    let reader = SpoolReader(file: file, feed: feed, upload: id, pace: transfer.uploadPace)
                    try await transfer.sendData(reader, of: image, size: feed.size)
                    let stored = try await transfer.verifyTarget(against: image)
                    try verifyOtherMultihash(of: stored, in: file)
                    try await transfer.protectIfNeeded(image)
                    try await record(transfer, "verified")
                    return feed.size
                }
            )
        } catch {
            return .failure(Self.replicatorError(error))
        }
    }

    /// A target hashing with another algorithm than the source (its `hashing_algorithm` setting) recorded a
    /// multihash the source never computed: it is computed from the verified spool file and compared.
    private func verifyOtherMultihash(of stored: ImageRecord, in file: SpoolFile) throws {
        guard let algorithm = stored.osHashAlgo, let recorded = stored.osHashValue?.lowercased(),
            algorithm != image.osHashAlgo
        else { return }
        guard let digest = StreamDigest(algorithm: algorithm) else {
            logger.warning(
                "the target's os_hash_algo is not available here: not checked",
                metadata: ["algo": "\(algorithm)"]
            )
            return
        }
        var offset: Int64 = 0
        let size = try file.length()
        while offset < size {
            let chunk = try file.read(at: offset, count: Int(Swift.min(Int64(4 << 20), size - offset)))
            guard chunk.readableBytes > 0 else { break }
            digest.update(chunk)
            offset += Int64(chunk.readableBytes)
        }
        let computed = digest.finalize()
        guard computed == recorded else {
            throw ReplicatorError.dataMismatch(
                "the target's \(algorithm) is \(recorded.prefix(16))..., the data sent hashes to \(computed.prefix(16))..."
            )
        }
        logger.debug("checked the target's own multihash against the spool", metadata: ["algo": "\(algorithm)"])
    }

    private func record(_ transfer: ImageTransfer, _ state: String, _ error: String? = nil) async throws {
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
