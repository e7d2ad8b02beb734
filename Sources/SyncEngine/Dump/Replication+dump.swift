import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import NIOCore
import OpenStackAPI

#if canImport(Glibc)
import Glibc
#endif

extension Replication {
    /// `dump SOURCE dir:PATH`: makes the dump directory hold every in-scope source image, as `replicate`
    /// makes a target hold them, and reports in the same form (the dump is the target).
    ///
    /// Planned against what the directory already holds, so a run cut short resumes: an image whose `.json`
    /// and full-size `.img` are there is `in_sync` and skipped; a `.json` whose record changed is rewritten;
    /// anything else is fetched again (a partial `.img.part` is resumed with a Range request).
    public static func dump(
        source sourceLocation: ImageLocation,
        to directory: DumpDirectory,
        options: ReplicationOptions,
        metaOnly: Bool,
        logger: Logger
    ) async throws -> Report {
        let sessions = try CloudSessions(
            locations: [sourceLocation],
            token: options.token,
            environment: options.environment
        )
        return try await HTTPClient.withHTTPClient(configuration: sessions.configuration(.replicator, logger: logger)) {
            http in
            let tokens = sessions.providers(http: http, logger: logger)
            let source = try await CatalogEndpoint.resolve(
                sourceLocation,
                http: http,
                tokens: tokens.side(options.sourceToken),
                logger: logger
            )
            guard case .glance(let client) = source else {
                throw ReplicatorError.invalidOption(
                    "dump reads from a Glance endpoint; \(source.name) is already a dump (copy the directory instead)"
                )
            }
            try directory.refuseOldLayout()
            do {
                try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
            } catch {
                throw ReplicatorError.dumpUnwritable(directory.path, reason: "\(error.localizedDescription)")
            }
            let sourceImages = try await client.listImages()
            let held = try directory.listImages(requireData: !metaOnly, sharing: SharedRecords(sourceImages))
            let plan = CatalogPlan(
                source: sourceImages,
                target: held,
                scope: options.scope,
                rules: options.rules,
                options: PlanOptions(copyDuplicates: options.audit.copyDuplicates)
            )
            var dumpLogger = logger
            dumpLogger[metadataKey: "dump"] = "\(directory.path)"
            dumpLogger.info(
                "planned",
                metadata: ["fetch": "\(plan.summary.missing)", "rewrite": "\(plan.summary.metadataDrift)"]
            )
            let writer = DumpWriter(source: client, directory: directory, metaOnly: metaOnly, logger: dumpLogger)
            let results = await writer.execute(plan, concurrency: options.concurrency)
            return Report(
                source: client.endpoint.root,
                dryRun: false,
                targets: [TargetReport(target: directory.description, summary: plan.summary, images: results)]
            )
        }
    }
}

/// Writes images from a Glance endpoint into a dump directory in the order that makes a dump safe to cut
/// short: data to `<id>.img.part`, verified against the source's size, md5 and multihash, synced and
/// renamed to `<id>.img`; the `.json`, exactly as Glance returned it, last.
struct DumpWriter: Sendable {
    let source: GlanceClient
    let directory: DumpDirectory
    let metaOnly: Bool
    let logger: Logger

    func execute(_ plan: CatalogPlan, concurrency: Int) async -> [ImageReport] {
        var results = plan.images.map { ImageReport(plan: $0, result: .unexecuted($0.action)) }
        let work = plan.images.indices.filter { [.copy, .updateMetadata].contains(plan.images[$0].action) }
        await withTaskGroup(of: (Int, ImageReport).self) { group in
            var pending = work.makeIterator()
            func startNext() -> Bool {
                guard let index = pending.next() else { return false }
                let image = plan.images[index]
                group.addTask { (index, await carryOut(image)) }
                return true
            }
            for _ in 0..<max(1, concurrency) where !startNext() { break }
            while let (index, report) = await group.next() {
                results[index] = report
                _ = startNext()
            }
        }
        return results
    }

    func carryOut(_ plan: ImagePlan) async -> ImageReport {
        var logger = logger
        logger[metadataKey: "image_id"] = "\(plan.id)"
        do {
            guard let image = plan.source else { return ImageReport(plan: plan, result: .unexecuted(plan.action)) }
            if plan.action == .copy {
                // The .json goes last: a stale one, whose data is incomplete, must not outlive the new data.
                try remove(directory.jsonPath(plan.id))
                if !metaOnly { try await fetchData(of: image) }
            }
            try await writeRecord(of: image)
            logger.info("dumped", metadata: ["action": "\(plan.action.rawValue)", "bytes": "\(plan.bytes)"])
            return ImageReport(plan: plan, result: .done)
        } catch {
            let message = (error as? ReplicatorError)?.message ?? "\(error)"
            logger.error("failed", metadata: ["error": "\(message)"])
            return ImageReport(plan: plan, result: .failed, error: message)
        }
    }

    /// Downloads into `<id>.img.part` (continuing a partial one with `Range`), verifies, renames.
    func fetchData(of image: ImageRecord) async throws {
        guard let size = image.size else {
            throw ReplicatorError.dataMismatch("the source record of image \(image.id) has no size")
        }
        let partPath = directory.partialDataPath(image.id)
        let fd = OwnFile.open(partPath, O_WRONLY | O_CREAT | O_APPEND, mode: Self.mode(of: image))
        guard fd >= 0 else { throw ReplicatorError.dumpUnwritable(partPath, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let verifier = try DataVerifier(expected: ExpectedData(image))
        var written = DumpDirectory.fileSize(partPath) ?? 0
        if written > size {
            try truncate(fd, partPath)
            written = 0
        }
        if written > 0 {
            // What an earlier run fetched is hashed again from the file: the verdict covers every byte.
            for try await chunk in DumpFileBytes(path: partPath, offset: 0, size: written) {
                try await verifier.update(chunk)
            }
            logger.info("resuming a partial download", metadata: ["offset": "\(written)"])
        }
        // The one resumable download (as for copies): breaks resumed with Range, a refused Range read from the
        // start with what the file holds skipped, the whole download bounded in time.
        let download = ResumableDownload(
            client: source,
            imageID: image.id,
            size: size,
            offset: written,
            maxResumes: ResumableDownload.defaultMaxResumes,
            logger: logger
        )
        do {
            for try await chunk in download {
                try await verifier.update(chunk)
                try append(chunk, to: fd, path: partPath)
            }
        } catch let error as ReplicatorError where error.isTransient {
            throw ReplicatorError.unreachable(
                source.endpoint.root,
                reason: "\(error.message); run dump again to resume it"
            )
        }
        do {
            try verifier.finish()
        } catch {
            // Bad bytes are never kept, not even for a resume: the next run fetches the image afresh.
            try? remove(partPath)
            throw error
        }
        guard fsync(fd) == 0 else {
            throw ReplicatorError.dumpUnwritable(partPath, reason: String(cString: strerror(errno)))
        }
        try rename(partPath, to: directory.dataPath(image.id))
    }

    /// Fetches the image's JSON and writes it as `<id>.json` (via a temporary name), checking that it still
    /// describes the data the plan was made for.
    func writeRecord(of image: ImageRecord) async throws {
        guard let (raw, record) = try await source.imageJSON(image.id) else {
            throw ReplicatorError.dataMismatch("image \(image.id) was deleted from the source during the dump")
        }
        if case .different(let fields) = DataComparison(source: image, target: record) {
            throw ReplicatorError.dataMismatch(
                "image \(image.id) changed on the source during the dump (\(fields.map(\.field).joined(separator: ", ")))"
            )
        }
        let path = directory.jsonPath(image.id)
        let fd: Int32
        let temporary: String
        do {
            (fd, temporary) = try OwnFile.createTemporary(beside: path, mode: Self.mode(of: image))
        } catch {
            throw ReplicatorError.dumpUnwritable(path, reason: "\(error)")
        }
        defer { close(fd) }
        try append(ByteBuffer(data: raw), to: fd, path: temporary)
        guard fsync(fd) == 0 else {
            throw ReplicatorError.dumpUnwritable(temporary, reason: String(cString: strerror(errno)))
        }
        try rename(temporary, to: path)
    }

    // MARK: files

    /// A dump of a public or community image may be read by anyone (0644); any other stays private (0600).
    static func mode(of image: ImageRecord) -> mode_t {
        image.visibility == .public || image.visibility == .community ? OwnFile.publicMode : OwnFile.privateMode
    }

    private func append(_ chunk: ByteBuffer, to fd: Int32, path: String) throws {
        try chunk.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ReplicatorError.dumpUnwritable(path, reason: String(cString: strerror(errno)))
                }
                offset += count
            }
        }
    }

    private func truncate(_ fd: Int32, _ path: String) throws {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
            throw ReplicatorError.dumpUnwritable(path, reason: String(cString: strerror(errno)))
        }
    }

    private func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else {
            throw ReplicatorError.dumpUnwritable(to, reason: String(cString: strerror(errno)))
        }
    }

    private func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw ReplicatorError.dumpUnwritable(path, reason: String(cString: strerror(errno)))
        }
    }
}
