import NIOCore

/// A byte stream in chunks of nearly `size` bytes (but the last): the small chunks of another (a download
/// delivers what each socket read returned, 16–64 KiB) gathered into one buffer.
///
/// Every chunk costs a hop between threads at each stage after the download (the spool write, the wake-up of
/// each upload, AsyncHTTPClient's write on its event loop) and a system call or two; one copy of the bytes in
/// memory costs far less than the 2–7 times as many hops. A gathered buffer never grows past `size`: glibc
/// serves larger allocations with `mmap`, whose page faults and zeroing cost more than the hops saved. A
/// chunk at least half of `size` long passes as it is.
struct CoalescedBytes<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    /// 0: every chunk passes as it is.
    let size: Int

    /// `coalescing` false: every chunk passes as it is (under a bandwidth limit, which paces each chunk). The
    /// size, 112 KiB, stays below glibc's threshold for `mmap` (128 KiB); what a run killed at any point loses
    /// of a buffer is read again (well within the resume bound).
    init(base: Base, coalescing: Bool = true) {
        self.base = base
        size = coalescing ? 112 << 10 : 0
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), size: size)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let size: Int
        /// A chunk that did not fit into the buffer returned last: the start of the next.
        var stash: ByteBuffer?
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            var gathered: ByteBuffer?
            while true {
                let next: ByteBuffer?
                if let stashed = stash {
                    stash = nil
                    next = stashed
                } else if finished {
                    next = nil
                } else {
                    next = try await base.next()
                    if next == nil { finished = true }
                }
                guard let chunk = next else { return gathered }
                guard chunk.readableBytes > 0 else { continue }
                if var buffer = gathered {
                    guard buffer.readableBytes + chunk.readableBytes <= size else {
                        stash = chunk
                        return buffer
                    }
                    gathered = nil  // one reference: the write below does not copy the storage again
                    buffer.writeImmutableBuffer(chunk)
                    gathered = buffer
                } else if chunk.readableBytes * 2 >= size {
                    return chunk
                } else {
                    var buffer = ByteBufferAllocator().buffer(capacity: size)
                    buffer.writeImmutableBuffer(chunk)
                    gathered = buffer
                }
                if gathered!.readableBytes * 8 >= size * 7 { return gathered }
            }
        }
    }
}
