import NIOCore

/// An upload body that lets the event loops catch up before each chunk after the first.
///
/// AsyncHTTPClient asks for the next chunk as soon as it has handed the last one to the event loop, before
/// the loop has written it and found the socket full; a body that produces faster than the network drains
/// (the spool read at disk speed, a fast source) would pile chunks up in memory before backpressure starts.
/// Event loops run their tasks in order, so once a no-op has run on each, every earlier write has reached its
/// channel and the channel's writability holds the producer back: memory stays flat however large the image.
struct EventLoopPacedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    let eventLoops: [any EventLoop]

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), eventLoops: eventLoops)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let eventLoops: [any EventLoop]
        var started = false

        mutating func next() async throws -> ByteBuffer? {
            if started, let first = eventLoops.first {
                try await EventLoopFuture.andAllSucceed(eventLoops.map { $0.submit {} }, on: first).get()
            }
            started = true
            return try await base.next()
        }
    }
}
