import CatalogDiff
import NIOCore
import OpenStackAPI

/// Passes a source download through to an upload, hashing every byte, and holds back the final chunk
/// until the whole stream is verified: a corrupt or truncated copy never completes its upload, so Glance
/// never activates it (an upload cut short returns the image to `queued`).
struct VerifyingByteStream<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    let expected: ExpectedData
    /// The endpoint the bytes come from, named when the download breaks.
    let source: String
    /// Bandwidth limits the bytes pass through (the run's, the target's).
    var paces: [RateLimiter] = []
    /// Called with each chunk's size as it is received (progress, byte accounting).
    let onChunk: @Sendable (Int) -> Void

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), expected: expected, source: source, paces: paces, onChunk: onChunk)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let expected: ExpectedData
        let source: String
        let paces: [RateLimiter]
        let onChunk: @Sendable (Int) -> Void
        var verifier: DataVerifier?
        var held: ByteBuffer?
        var finished = false

        init(
            base: Base.AsyncIterator,
            expected: ExpectedData,
            source: String,
            paces: [RateLimiter],
            onChunk: @escaping @Sendable (Int) -> Void
        ) {
            self.base = base
            self.expected = expected
            self.source = source
            self.paces = paces
            self.onChunk = onChunk
        }

        mutating func next() async throws -> ByteBuffer? {
            if finished { return nil }
            if verifier == nil { verifier = try DataVerifier(expected: expected) }
            while let chunk = try await nextFromSource() {
                guard chunk.readableBytes > 0 else { continue }
                for pace in paces { try await pace.take(chunk.readableBytes) }
                try await verifier!.update(chunk)
                onChunk(chunk.readableBytes)
                if let previous = held {
                    held = chunk
                    return previous
                }
                held = chunk
            }
            try verifier!.finish()
            finished = true
            defer { held = nil }
            return held
        }

        /// The next chunk of the download; a broken download is reported against the source, not the
        /// upload it feeds.
        private mutating func nextFromSource() async throws -> ByteBuffer? {
            do {
                return try await base.next()
            } catch let error as ReplicatorError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let received = verifier?.count ?? 0
                throw ReplicatorError.unreachable(
                    source,
                    reason:
                        "the download broke after \(received) of \(expected.size) bytes (\(GlanceClient.describe(error)))"
                )
            }
        }
    }
}
