import CatalogDiff
import Dispatch
import Foundation
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes a download into its spool file behind it: in aligned blocks, past the page cache (`O_DIRECT`), on a
/// thread of its own, while the download goes on.
///
/// A spool file is written once and read back rarely (by an upload that fell behind the memory window, or one
/// repeated), so caching it buys little, while a buffered write copies every byte into a fresh page of the page
/// cache: 2.5–3 CPU s/GiB on the benchmark machine (a VM that returns freed memory to its host, so that each new
/// page faults there first), a third of the whole copy, and a night of copies pushes the machine's useful cache
/// out. A direct write copies the chunks once into an aligned block in user memory and leaves the rest to the
/// disk. At most one block is being written while the next fills: the download waits for the disk only when the
/// disk is the slower. The feed learns after each block how far the file holds (`SpoolFeed.stored(upTo:)`), so
/// that an upload never reads from the file what is still in memory only.
///
/// Where the file system refuses direct I/O (at open, or `EINVAL` on a write: alignment), each chunk is written
/// with a plain positional write, as before. A killed process loses at most the block being written and the one
/// filling (`2 × blockSize`): the next run downloads them again, within the resume bound of 8 MiB. After a
/// failed write nothing later is written, so the file never has a hole.
///
/// Used by one task at a time (the download's); call `close()` before dropping it, whatever happened.
final class SpoolWriter {
    /// Large enough that the disk sees few requests; two per image, beside a memory window 1 MiB smaller than it
    /// was before the writer (`SpoolFeed.defaultWindow`): the memory of a copy is what it was.
    static let blockSize = 512 << 10
    /// Of the file offsets, lengths and memory of direct writes: the common logical block size of disks and the
    /// page size; a file system that needs more refuses the first write, and writes are buffered from then on.
    static let alignment = 4096

    /// This writer's alignment: `alignment`, or one a test gives to see the file system refuse a write.
    private let alignment: Int

    private let file: SpoolFile
    private let feed: SpoolFeed
    private var direct: DirectDescriptor?
    /// The block filling, from `blockStart` (aligned), and the spare one (being written while `pending`).
    private var block: AlignedBlock?
    private var spare: AlignedBlock?
    private var blockStart: Int64
    private var filled = 0
    private var pending: (write: PendingWrite, offset: Int64, count: Int)?
    /// A block's write failed: nothing after it is written, or the file would have a hole where it is missing.
    private var broken = false
    /// Every byte handed to `write`, staged or in the file.
    private(set) var end: Int64

    /// A writer continuing the file from `start` (the bytes it holds already); `directIO: false` writes through
    /// the page cache only.
    init(
        file: SpoolFile,
        from start: Int64,
        feed: SpoolFeed,
        directIO: Bool = true,
        alignment: Int = SpoolWriter.alignment
    ) throws(ReplicatorError) {
        self.file = file
        self.alignment = alignment
        self.feed = feed
        end = start
        blockStart = start
        guard directIO, let descriptor = file.openDirectDescriptor() else { return }
        direct = DirectDescriptor(descriptor)
        block = AlignedBlock(capacity: Self.blockSize, alignment: alignment)
        spare = AlignedBlock(capacity: Self.blockSize, alignment: alignment)
        // Direct writes start at an aligned offset: the block begins with what the file holds before `start`.
        blockStart = start - start % Int64(alignment)
        filled = Int(start - blockStart)
        if filled > 0 {
            let head = try file.read(at: blockStart, count: filled)
            guard head.readableBytes == filled else {
                throw .spool(
                    file.path,
                    "it holds fewer bytes than its length (\(blockStart + Int64(head.readableBytes)))"
                )
            }
            head.withUnsafeReadableBytes { block!.pointer.copyMemory(from: $0.baseAddress!, byteCount: filled) }
        }
    }

    /// Stages `chunk` after the bytes before it; writes each block as it fills, once the one before is written.
    func write(_ chunk: ByteBuffer) async throws(ReplicatorError) {
        let count = chunk.readableBytes
        var copied = 0
        while copied < count {
            guard let block else {
                // Plain writes (no direct I/O here): the rest of the chunk now.
                try file.write(
                    chunk.getSlice(at: chunk.readerIndex + copied, length: count - copied)!,
                    at: end + Int64(copied)
                )
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
        try await settle()
        if broken { return }
        if let block, let direct, filled > 0 {
            // This thread, once per image: the aligned part directly, the tail (under the alignment) plainly.
            var aligned = filled - filled % alignment
            let error =
                aligned > 0 ? SpoolFile.write(direct.descriptor, block.pointer, count: aligned, at: blockStart) : 0
            if error == EINVAL {
                aligned = 0
            } else if error != 0 {
                broken = true
                throw cannotWrite(String(cString: strerror(error)))
            }
            if let failure = file.write(
                block.pointer + aligned,
                count: filled - aligned,
                at: blockStart + Int64(aligned)
            ) {
                broken = true
                throw cannotWrite(failure)
            }
            if error == EINVAL { writePlainlyFromNowOn() }
        }
        feed.stored(upTo: end)
    }

    /// Waits for the block being written, if any, and stops writing directly; what is staged reaches the file
    /// only by `flush`. Errors are dropped: this is for the way out, after `flush` or a failure.
    func close() async {
        try? await settle()
        direct = nil
    }

    /// Whether blocks still go past the page cache (false once the file system refused a direct write).
    var writesDirectly: Bool { direct != nil }

    private func cannotWrite(_ reason: String) -> ReplicatorError {
        .spool(file.path, "cannot write it: \(reason)")
    }

    // MARK: blocks

    /// Hands the full block to the writing thread, once the block before is written; the spare block fills next.
    private func submit() async throws(ReplicatorError) {
        try await settle()
        guard let direct, let full = block, let empty = spare else { return }
        let count = filled
        let write = PendingWrite()
        let offset = blockStart
        let feed = self.feed
        DispatchQueue.global(qos: .utility).async {
            let error = SpoolFile.write(direct.descriptor, full.pointer, count: count, at: offset)
            write.complete(error)
            if error == 0 { feed.stored(upTo: offset + Int64(count)) }
        }
        pending = (write, offset, count)
        block = empty
        spare = full
        blockStart += Int64(count)
        filled = 0
    }

    /// Waits for the block being written; one the file system refused to take directly is written plainly, and so
    /// is everything after it.
    private func settle() async throws(ReplicatorError) {
        guard let (write, offset, count) = pending else { return }
        pending = nil
        let error = await write.wait()
        if error == 0 { return }
        guard error == EINVAL, let written = spare else {
            broken = true
            throw cannotWrite(String(cString: strerror(error)))
        }
        if let failure = file.write(written.pointer, count: count, at: offset) {
            broken = true
            throw cannotWrite(failure)
        }
        feed.stored(upTo: offset + Int64(count))
        // From here on every chunk is written as it comes: first what is staged.
        if filled > 0, let block {
            if let failure = file.write(block.pointer, count: filled, at: blockStart) {
                broken = true
                throw cannotWrite(failure)
            }
            feed.stored(upTo: blockStart + Int64(filled))
        }
        writePlainlyFromNowOn()
    }

    /// Once the file system has refused a direct write: no more blocks, every later chunk written as it comes.
    private func writePlainlyFromNowOn() {
        direct = nil
        block = nil
        spare = nil
        filled = 0
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
