import CatalogDiff
import NIOCore

/// An upload's body as the download fills the spool: the bytes the `SpoolFeed` releases, taken from its
/// memory window while the upload keeps up, else read from the file in chunks of at most `chunkSize`; paced
/// by the target's bandwidth limit.
struct SpoolReader: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// Large enough to keep syscalls few, small enough that four uploads at once stay within a few MiB.
    static let chunkSize = 256 << 10

    let file: SpoolFile
    let feed: SpoolFeed
    /// The upload's id in the feed (`SpoolFeed.join`).
    let upload: Int
    let pace: RateLimiter?

    func makeAsyncIterator() -> Iterator {
        Iterator(reader: self)
    }

    struct Iterator: AsyncIteratorProtocol {
        let reader: SpoolReader
        var offset: Int64 = 0

        init(reader: SpoolReader) {
            self.reader = reader
        }

        mutating func next() async throws -> ByteBuffer? {
            switch try await reader.feed.next(reader.upload, at: offset) {
            case .end:
                return nil
            case .memory(let chunk):
                try await reader.pace?.take(chunk.readableBytes)
                offset += Int64(chunk.readableBytes)
                return chunk
            case .file(let released):
                let count = Int(Swift.min(Int64(SpoolReader.chunkSize), released - offset))
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
}
