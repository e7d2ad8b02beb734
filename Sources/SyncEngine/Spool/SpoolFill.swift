import CatalogDiff
import Logging
import NIOCore
import OpenStackAPI

/// Fills an image's spool file from the source, hashing as it goes, and hands each chunk written to the
/// uploads that follow (through the `SpoolFeed`, which keeps the latest in memory for them), then tells them
/// whether the whole was verified.
///
/// A file left by an earlier run is hashed again from disk (local reads, no network) and the download
/// continues after it with `Range: bytes=N-`: across runs, no byte is fetched twice. The file's length is what
/// counts on resume (a killed process loses nothing the kernel accepted, and a chunk reaches the uploads only
/// once it is in the file); progress is recorded in the journal every `recordInterval` bytes for `status`.
/// The file is flushed to disk only when it is kept for another run (the fill stopped, or a target lacks the
/// image: `ImageCopy`), never while it streams or before the uploads complete: syncing would halve the
/// throughput, a file deleted once every target holds the image need never reach the disk at all, and what a
/// power cut corrupts fails verification and is read again.
struct SpoolFill: Sendable {
    static let recordInterval: Int64 = 64 << 20

    let source: GlanceClient
    let imageID: String
    let expected: ExpectedData
    let file: SpoolFile
    let feed: SpoolFeed
    let journal: Journal?
    let pace: RateLimiter?
    let counters: TransferCounters
    let observer: (any TransferObserver)?
    let logger: Logger

    /// Fills the file from `start` (the bytes it holds already) and verifies the whole; the feed learns the
    /// outcome either way.
    func run(from start: Int64) async throws {
        var offset: Int64 = 0
        let writer: SpoolWriter
        do {
            writer = try SpoolWriter(file: file, from: start, feed: feed)
        } catch {
            feed.finish(.failed(error))
            throw error
        }
        do {
            try await fill(from: start, offset: &offset, writer: writer)
            await writer.close()
            feed.finish(.verified)
        } catch {
            feed.finish(.failed(ImageCopy.replicatorError(error)))
            // What is on disk counts for the next run, however this one ends: what was read goes to the file.
            try? await writer.flush()
            await writer.close()
            file.synchronize()
            let spooled = (try? file.length()) ?? offset
            try? await journal?.recordSpooled(source: source.endpoint.root, imageID: imageID, bytes: spooled)
            throw error
        }
    }

    private func fill(from start: Int64, offset: inout Int64, writer: SpoolWriter) async throws {
        let verifier = try DataVerifier(expected: expected)
        while offset < start {
            let chunk = try file.read(at: offset, count: Int(min(Int64(4 << 20), start - offset)))
            try await verifier.update(chunk)
            offset += Int64(chunk.readableBytes)
        }
        feed.advance(to: offset)
        if start > 0 {
            logger.info("resuming from the spool", metadata: ["spooled": "\(start)", "size": "\(expected.size)"])
            observer?.advanced(imageID, bytes: start)
        }
        if offset < expected.size {
            let download = ResumableDownload(
                client: source,
                imageID: imageID,
                size: expected.size,
                offset: offset,
                maxResumes: ResumableDownload.defaultMaxResumes,
                logger: logger
            )
            var unrecorded: Int64 = 0
            // Bigger chunks, fewer hops; as they come under a bandwidth limit, which paces each chunk.
            let coalesced = CoalescedBytes(base: download, coalescing: pace == nil)
            for try await chunk in coalesced {
                let count = chunk.readableBytes
                try await pace?.take(count)
                try await verifier.update(chunk)
                try await writer.write(chunk)
                offset += Int64(count)
                unrecorded += Int64(count)
                counters.addRead(count)
                observer?.advanced(imageID, bytes: Int64(count))
                try await feed.append(chunk, inFile: false)
                if unrecorded >= Self.recordInterval {
                    unrecorded = 0
                    try await journal?.recordSpooled(source: source.endpoint.root, imageID: imageID, bytes: offset)
                }
            }
        }
        try await writer.flush()
        try verifier.finish()
        try await journal?.recordSpooled(source: source.endpoint.root, imageID: imageID, bytes: offset)
    }
}
