import NIOCore

/// An upload's body read from a spool file as the download fills it: what is released by the `SpoolFeed`,
/// in chunks of at most `chunkSize`, paced by the run's bandwidth limit.
struct SpoolReader: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// Large enough to keep syscalls few, small enough that four uploads at once stay within a few MiB.
    static let chunkSize = 256 << 10

    let file: SpoolFile
    let feed: SpoolFeed
    let pace: RateLimiter?

    func makeAsyncIterator() -> Iterator {
        Iterator(reader: self)
    }

    struct Iterator: AsyncIteratorProtocol {
        let reader: SpoolReader
        var offset: Int64 = 0
        var releasable: Int64 = 0

        init(reader: SpoolReader) {
            self.reader = reader
        }

        mutating func next() async throws -> ByteBuffer? {
            guard offset < reader.feed.size else { return nil }
            if releasable <= offset {
                releasable = try await reader.feed.releasable(after: offset)
            }
            let count = Int(Swift.min(Int64(SpoolReader.chunkSize), releasable - offset))
            try await reader.pace?.take(count)

            let chunk = try reader.file.read(at: offset, count: count)
            guard chunk.readableBytes == count else {
                throw ReplicatorError.spool(
                    reader.file.path,
                    "it holds fewer bytes than were written to it (\(offset + Int64(chunk.readableBytes)))"
                )
            }
            offset += Int64(count)
            return chunk
        }
    }
}
