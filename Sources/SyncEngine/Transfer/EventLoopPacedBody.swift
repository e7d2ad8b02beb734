import NIOCore

/// An upload body that lets the event loops catch up each time `interval` bytes have passed.
///
/// AsyncHTTPClient asks for the next chunk as soon as it has handed the last one to the event loop, before
/// the loop has written it and found the socket full; a body that produces faster than the network drains
/// (the spool read at disk speed, a fast source) would pile chunks up in memory before backpressure starts.
/// Event loops run their tasks in order, so once a no-op has run on each, every earlier write has reached its
/// channel and the channel's writability holds the producer back: memory stays flat however large the image.
/// Once per `interval` bytes (256 KiB) rather than before every chunk: each wait wakes every event loop and
/// resumes the task, which cost more CPU than the hashing's margin; the bytes in flight stay within `interval`
/// plus the channel's buffers (a 1 MiB interval raised the peak RSS of four copies at once by ~3 MiB).
struct EventLoopPacedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    /// Bytes passed between two waits for the event loops.
    static var interval: Int { 256 << 10 }

    let base: Base
    let eventLoops: [any EventLoop]

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), eventLoops: eventLoops)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let eventLoops: [any EventLoop]
        /// Bytes passed since the last wait.
        var unpaced = 0

        mutating func next() async throws -> ByteBuffer? {
            if unpaced >= EventLoopPacedBody.interval, let first = eventLoops.first {
                unpaced = 0
                try await EventLoopFuture.andAllSucceed(eventLoops.map { $0.submit {} }, on: first).get()
            }
            let chunk = try await base.next()
            unpaced += chunk?.readableBytes ?? 0
            return chunk
        }
    }
}
