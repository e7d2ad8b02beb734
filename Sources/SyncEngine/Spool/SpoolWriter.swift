import CatalogDiff
import Dispatch
import Foundation
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes a download into its spool file behind it: in aligned blocks, past the page cache (`O_DIRECT`) while
/// the disk keeps up, on a thread of its own, while the download goes on.
///
/// A spool file is written once and read back rarely (by an upload that fell behind the memory window, or one
/// repeated), so caching it buys little, while a buffered write copies every byte into a fresh page of the page
/// cache: 2.5–3 CPU s/GiB on the benchmark machine (a VM that returns freed memory to its host, so that each new
/// page faults there first), a third of the whole copy, and a night of copies pushes the machine's useful cache
/// out. A direct write copies the chunks once into an aligned block in user memory and leaves the rest to the
/// disk. Blocks are written in order, one at a time, up to `depth` queued: the download waits only when that
/// many are. A block that finds others queued behind it (the disk busy: another process's writeback) goes
/// through the page cache instead, which takes it at once, so that a busy disk costs CPU rather than stalling
/// the copy. The feed learns after each block how far the file holds (`SpoolFeed.stored(upTo:)`), so that an
/// upload never reads from the file what is still in memory only.
///
/// Where the file system refuses direct I/O (at open, or `EINVAL` on a write: alignment), every block is written
/// with a plain positional write, as before. A killed process loses at most the blocks queued and the one
/// filling (`(depth + 1) × blockSize`, 1 MiB): the next run downloads them again, within the resume bound of
/// 8 MiB. The file never has a hole: after a failed write nothing later is written.
///
/// Used by one task at a time (the download's); call `close()` before dropping it, whatever happened.
final class SpoolWriter {
    /// Small enough that the blocks of one image, filling and queued, take 1 MiB (beside a memory window 1 MiB
    /// smaller than before the writer, `SpoolFeed.defaultWindow`: the memory of a copy is what it was), large
    /// enough that the disk sees few requests.
    static let blockSize = 256 << 10
    /// Blocks queued for the disk before the download waits.
    static let depth = 3
    /// Of the file offsets, lengths and memory of direct writes: the common logical block size of disks and the
    /// page size; a file system that needs more refuses the first write, and writes are buffered from then on.
    static let alignment = 4096

    private let file: SpoolFile
    private let feed: SpoolFeed
    private var direct: DirectDescriptor?
    /// The block filling, from `blockStart` (aligned); nil: plain writes.
    private var block: AlignedBlock?
    private var blockStart: Int64
    private var filled = 0
    /// Blocks written or refused, to fill again.
    private var free: [AlignedBlock] = []
    /// Blocks queued for the disk, in file order; written one after another, so the file grows without holes.
    private var pending: [(write: PendingWrite, block: AlignedBlock, offset: Int64, count: Int)] = []
    private let queue = DispatchQueue(label: "glance-replicator.spool-writer", qos: .utility)
    /// Shared with the queue: how many blocks wait there, and whether a write failed.
    private let queueState = QueueState()
    /// The outcome of a block skipped after another's failure.
    private static let skipped: Int32 = -1
    /// A block's write failed: nothing after it is written, or the file would have a hole where it is missing.
    private var broken = false
    /// Every byte handed to `write`, staged or in the file.
    private(set) var end: Int64

    /// A writer continuing the file from `start` (the bytes it holds already); `directIO: false` writes through
    /// the page cache only.
    init(file: SpoolFile, from start: Int64, feed: SpoolFeed, directIO: Bool = true) throws(ReplicatorError) {
        self.file = file
        self.feed = feed
        end = start
        blockStart = start
        guard directIO, let descriptor = file.openDirectDescriptor() else { return }
        direct = DirectDescriptor(descriptor)
        let block = AlignedBlock(capacity: Self.blockSize, alignment: Self.alignment)
        self.block = block
        // Direct writes start at an aligned offset: the block begins with what the file holds before `start`.
        blockStart = start - start % Int64(Self.alignment)
        filled = Int(start - blockStart)
        if filled > 0 {
            let head = try file.read(at: blockStart, count: filled)
            guard head.readableBytes == filled else {
                throw .spool(
                    file.path,
                    "it holds fewer bytes than its length (\(blockStart + Int64(head.readableBytes)))"
                )
            }
            head.withUnsafeReadableBytes { block.pointer.copyMemory(from: $0.baseAddress!, byteCount: filled) }
        }
    }

    /// Stages `chunk` after the bytes before it; queues each block for the disk as it fills.
    func write(_ chunk: ByteBuffer) async throws(ReplicatorError) {
        let count = chunk.readableBytes
        var copied = 0
        while copied < count {
            guard let block else {
                // Plain writes (no direct I/O here): the rest of the chunk now.
                let rest = chunk.getSlice(at: chunk.readerIndex + copied, length: count - copied)!
                try file.write(rest, at: end + Int64(copied))
                feed.stored(upTo: end + Int64(count))
                break
            }
            let taken = min(count - copied, Self.blockSize - filled)
            chunk.withUnsafeReadableBytes { bytes in
                (block.pointer + filled).copyMemory(from: bytes.baseAddress! + copied, byteCount: taken)
            }
            filled += taken
            copied += taken
            if filled == Self.blockSize { try await submit() }
        }
        end += Int64(count)
    }

    /// Waits until the file holds every byte handed to `write`. What fills less than a block stays staged too (a
    /// later direct write of the whole block writes those bytes again).
    func flush() async throws(ReplicatorError) {
        while !pending.isEmpty { try await settleOldest() }
        if broken { return }
        if let block, let direct, filled > 0 {
            // This thread, once per image: the aligned part directly, the tail (under the alignment) plainly.
            var aligned = filled - filled % Self.alignment
            let error =
                aligned > 0 ? SpoolFile.write(direct.descriptor, block.pointer, count: aligned, at: blockStart) : 0
            if error == EINVAL {
                aligned = 0
            } else if error != 0 {
                throw .spool(file.path, "cannot write it: \(String(cString: strerror(error)))")
            }
            let tail = filled - aligned
            if let failure = file.write(block.pointer + aligned, count: tail, at: blockStart + Int64(aligned)) {
                throw .spool(file.path, "cannot write it: \(failure)")
            }
        }
        feed.stored(upTo: end)
    }

    /// Waits for the blocks queued for the disk and stops writing directly; what is staged reaches the file only
    /// by `flush`. Errors are dropped: this is for the way out, after `flush` or a failure.
    func close() async {
        while !pending.isEmpty { try? await settleOldest() }
        direct = nil
    }

    // MARK: blocks

    /// Queues the full block for the disk (after the oldest is written, when `depth` are queued); another fills.
    private func submit() async throws(ReplicatorError) {
        while pending.count >= Self.depth { try await settleOldest() }
        guard let direct, let full = block else { return }
        let write = PendingWrite()
        let count = filled
        let offset = blockStart
        let (feed, file, state) = (self.feed, self.file, queueState)
        state.waiting.add(1, ordering: .relaxed)
        queue.async {
            let behind = state.waiting.subtract(1, ordering: .relaxed).newValue
            var error = Self.skipped
            if !state.halted.load(ordering: .acquiring) {
                // Directly while the disk keeps up; through the page cache while blocks wait behind this one
                // (the disk busy for a moment): the download is not held back, and the order of the writes holds.
                error =
                    behind == 0
                    ? SpoolFile.write(direct.descriptor, full.pointer, count: count, at: offset)
                    : SpoolFile.write(file.descriptorForQueue, full.pointer, count: count, at: offset)
                if error != 0 { state.halted.store(true, ordering: .releasing) }
            }
            write.complete(error)
            if error == 0 { feed.stored(upTo: offset + Int64(count)) }
        }
        pending.append((write, full, offset, count))
        block = free.popLast() ?? AlignedBlock(capacity: Self.blockSize, alignment: Self.alignment)
        blockStart += Int64(count)
        filled = 0
    }

    /// Waits for the oldest block queued; one the file system refused to take directly is written plainly, and
    /// so is everything after it.
    private func settleOldest() async throws(ReplicatorError) {
        let (write, written, offset, count) = pending.removeFirst()
        let error = await write.wait()
        if error == 0 {
            free.append(written)
            return
        }
        // After a failure nothing more is written: the file ends where the failed block starts.
        if broken { return }
        guard error == EINVAL || error == Self.skipped else {
            broken = true
            throw .spool(file.path, "cannot write it: \(String(cString: strerror(error)))")
        }
        if let failure = file.write(written.pointer, count: count, at: offset) {
            broken = true
            throw .spool(file.path, "cannot write it: \(failure)")
        }
        feed.stored(upTo: offset + Int64(count))
        guard direct != nil else { return }
        // From here on every chunk is written as it comes: first what is queued (refused too, surely), then
        // what is staged.
        direct = nil
        while !pending.isEmpty { try await settleOldest() }
        if filled > 0, let block {
            if let failure = file.write(block.pointer, count: filled, at: blockStart) {
                broken = true
                throw .spool(file.path, "cannot write it: \(failure)")
            }
            feed.stored(upTo: blockStart + Int64(filled))
        }
        block = nil
        free = []
    }
}

/// Memory for direct I/O, aligned as the disk needs it.
///
/// `@unchecked Sendable`: it is handed to the writing thread for one block's write, and the writer touches it
/// again only after awaiting that write's end (`PendingWrite.wait`); the closure's reference keeps it alive
/// even if the writer is dropped first.
private final class AlignedBlock: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer

    init(capacity: Int, alignment: Int) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: alignment)
    }

    deinit {
        pointer.deallocate()
    }
}

/// The `O_DIRECT` descriptor, closed when the writer and the last write holding it are done with it (never
/// while a write may still use it: a number closed early could name another file by then).
private final class DirectDescriptor: Sendable {
    let descriptor: Int32

    init(_ descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        Glibc.close(descriptor)
    }
}

/// What the download and the writing thread share: the blocks queued, and whether a write failed (the blocks
/// after it are then skipped, so that the feed never learns of bytes stored past a block the file lacks).
private final class QueueState: Sendable {
    let waiting = Atomic(0)
    let halted = Atomic(false)
}

/// One block's write on the writing thread: its `errno` (0: written), awaited by the download before it reuses
/// the block. Not cancellable: the block is not the download's again until the write has ended.
private final class PendingWrite: Sendable {
    private enum State {
        case running
        case done(Int32)
        case waiting(CheckedContinuation<Int32, Never>)
    }

    private let state = Mutex(State.running)

    func complete(_ error: Int32) {
        let waiter = state.withLock { state -> CheckedContinuation<Int32, Never>? in
            defer { state = .done(error) }
            if case .waiting(let waiter) = state { return waiter }
            return nil
        }
        waiter?.resume(returning: error)
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Int32? in
                if case .done(let error) = state { return error }
                state = .waiting(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}
