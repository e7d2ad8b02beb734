import CatalogDiff
import OpenStackAPI

extension ImageCopy {
    /// Copies through the spool: the download fills the image's spool file while each target's upload follows it.
    /// What is read, how often, and what becomes of the file are `SpoolStateMachine`'s decisions; this carries
    /// them out.
    func spooled(from client: GlanceClient, size: Int64) async -> [Result<Int64, ReplicatorError>] {
        let sourceRoot = source.name
        let expected = ExpectedData(image)
        let path = context.spool.path(source: sourceRoot, imageID: image.id)
        var machine = SpoolStateMachine(targets: targets.count)
        let file: SpoolFile
        do {
            file = try SpoolFile(path: path)
            let earlier = try await context.journal?.transfer(source: sourceRoot, imageID: image.id)
            let start = machine.resume(
                held: try file.length(),
                size: size,
                earlierMatches: earlier?.expected == expected
            )
            if start == .truncate { try file.truncate(to: 0) }
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
                machine.refused(index, Self.replicatorError(error))
            }
        }

        var next = machine.nextRead()
        while true {
            switch next {
            case .read(let start, let pending, let fresh):
                let (uploads, fetchError) = await read(
                    from: client,
                    into: file,
                    at: start,
                    for: pending,
                    size: size,
                    expected: expected,
                    fresh: fresh
                )
                next = machine.readEnded(uploads: uploads, fetchError: fetchError)
            case .truncateAndReadAgain(let error):
                // Perhaps corrupted on the way: read it all again, once.
                logger.info("the data read did not verify, reading it again", metadata: ["error": "\(error)"])
                do {
                    try file.truncate(to: 0)
                    next = machine.nextRead()
                } catch {
                    next = machine.truncateFailed(Self.replicatorError(error))
                }
            case .finish(let finish):
                await conclude(finish, file: file, path: path, origins: origins)
                return finish.results
            }
        }
    }

    /// One read of the source into the spool from `start`, with the uploads to the targets at `pending`: at once
    /// (`--spool auto`/`on-demand`), or once the whole image is on local disk, verified (`--spool always`).
    private func read(
        from client: GlanceClient,
        into file: SpoolFile,
        at start: Int64,
        for pending: [Int],
        size: Int64,
        expected: ExpectedData,
        fresh: Bool
    ) async -> (uploads: [(Int, Result<Int64, ReplicatorError>)], fetchError: ReplicatorError?) {
        let feed = SpoolFeed(size: size, window: context.spool.mode == .auto ? SpoolFeed.defaultWindow : 0)
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
        if context.spool.mode == .always {
            do { try await fill.run(from: start) } catch { return ([], Self.replicatorError(error)) }
            return (await upload(uploads, file: file, feed: feed, fresh: fresh), nil)
        }
        var results: [(Int, Result<Int64, ReplicatorError>)] = []
        var fetchError: ReplicatorError?
        await withTaskGroup(of: [(Int, Result<Int64, ReplicatorError>)]?.self) { group in
            group.addTask {
                do { try await fill.run(from: start) } catch {
                    return [(-1, .failure(Self.replicatorError(error)))]
                }
                return nil
            }
            group.addTask { await upload(uploads, file: file, feed: feed, fresh: fresh) }
            for await outcome in group {
                for (index, result) in outcome ?? [] {
                    if index < 0, case .failure(let error) = result {
                        fetchError = error
                    } else {
                        results.append((index, result))
                    }
                }
            }
        }
        return (results, fetchError)
    }

    /// The end: the targets that failed are given up on (their half-made records judged), and the spool file is
    /// removed or kept as the machine decided.
    private func conclude(
        _ finish: SpoolStateMachine.Finish,
        file: SpoolFile,
        path: String,
        origins: [RecordOrigin?]
    ) async {
        for (index, error) in finish.failures {
            await targets[index].transfer.giveUp(image, after: error, origin: origins[index])
            try? await record(targets[index].transfer, error.isInterruption ? "interrupted" : "failed", error.message)
        }
        switch finish.spool {
        case .keep:
            // Kept for the next run: on disk before this one ends.
            file.synchronize()
        case .discard:
            // Deleted before it was flushed: the kernel drops its pages without writing them to the disk.
            SpoolFile.remove(path)
            do {
                try await context.journal?.endTransfer(source: source.name, imageID: image.id)
            } catch {
                logger.warning("could not record the end of the transfer", metadata: ["error": "\(error)"])
            }
        }
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
}
