import CatalogDiff
import NIOCore
import Synchronization

/// What the download that fills a spool file shares with the uploads that follow it: how many bytes were read,
/// how many of them the file holds, the latest of them still in memory, and whether the whole was verified.
///
/// A tee: each chunk the download has hashed and written to the file stays in a window of memory (`window`
/// bytes), and uploads take it from there, so that the file is written once and read back only by an upload
/// that falls behind the window (a slower target, or one repeating its upload), until it catches up. The file
/// may trail the download by the blocks its writer has yet to finish (`SpoolWriter`): a chunk leaves memory only
/// once the file holds it, and an upload reads the file only up to where it holds the bytes (`stored(upTo:)`). The
/// download runs at most `window` bytes ahead of the leading upload in the window, as a pipe would, and freely
/// while no upload is in it: a slow target never holds the others back, it reads the file instead.
///
/// Uploads are released everything but the last `holdBack` bytes as they arrive, and those last bytes only
/// once the md5 and multihash of the whole matched the source's record: an upload of corrupt data never
/// completes, so Glance never activates it. Waiting is by continuation, not polling; a cancelled upload or
/// download stops waiting at once.
final class SpoolFeed: Sendable {
    enum Outcome: Sendable {
        case pending
        case verified
        case failed(ReplicatorError)
    }

    /// What an upload sends next.
    enum Piece: Sendable, Equatable {
        /// Bytes from the window, starting at the upload's offset.
        case memory(ByteBuffer)
        /// The bytes from the upload's offset to `upTo` are released but no longer in memory: read the file.
        case file(upTo: Int64)
        /// Every byte was sent.
        case end
    }

    private struct State {
        var written: Int64
        /// The bytes the file holds (`written`, or less while its writer is behind; briefly more, when a block's
        /// write ends before the download hands the feed its last chunk).
        var stored: Int64
        var outcome = Outcome.pending
        /// The window: contiguous chunks from `windowStart` to `written`.
        var chunks = CircularBuffer<ByteBuffer>()
        var windowStart: Int64
        var held: Int64 = 0
        /// Each upload's offset (what it has taken), by the id `join` gave it.
        var positions: [Int: Int64] = [:]
        var uploadWaiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var downloadWaiter: CheckedContinuation<Void, any Error>?
        var nextID = 0
    }

    let size: Int64
    let holdBack: Int64
    /// The most bytes kept in memory (0: none, every upload reads the file, as with `--spool always`).
    let window: Int64
    private let state: Mutex<State>

    /// The memory window of `--spool auto`: per image copied, whatever the number of targets.
    static let defaultWindow: Int64 = 3 << 20

    init(size: Int64, written: Int64 = 0, holdBack: Int64 = 64 * 1024, window: Int64 = 0) {
        self.size = size
        self.holdBack = min(holdBack, size)
        // More than the held-back bytes, or the leading upload, waiting for them, would hold the download.
        self.window = window > 0 ? max(window, self.holdBack + 1) : 0
        state = Mutex(State(written: written, stored: written, windowStart: written))
    }

    // MARK: the download's side

    /// The file holds `written` bytes that are not in memory (a spool file left by an earlier run).
    func advance(to written: Int64) {
        let waiters = state.withLock { state in
            state.written = written
            state.stored = written
            state.chunks.removeAll()
            state.held = 0
            state.windowStart = written
            return Self.takeUploadWaiters(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Adds a chunk the download has verified so far, at the current end; waits first while the leading upload
    /// in the window is `window` bytes behind. `inFile`: the file holds it already (else `stored(upTo:)` says
    /// when it does).
    func append(_ chunk: ByteBuffer, inFile: Bool = true) async throws {
        while true {
            if let waiters = state.withLock({ Self.appendIfRoom(chunk, inFile: inFile, &$0, window: window) }) {
                for waiter in waiters { waiter.resume() }
                return
            }
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let ready = state.withLock { state -> Bool in
                        if Task.isCancelled || Self.hasRoom(state, window: window) { return true }
                        state.downloadWaiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                state.withLock { state in
                    defer { state.downloadWaiter = nil }
                    return state.downloadWaiter
                }?.resume(throwing: CancellationError())
            }
            try Task.checkCancellation()
        }
    }

    /// The file holds every byte up to `offset`: uploads that wait for it read on.
    func stored(upTo offset: Int64) {
        let waiters = state.withLock { state in
            state.stored = max(state.stored, offset)
            return Self.takeUploadWaiters(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The download ended: verified, or failed with the error every waiting upload now throws.
    func finish(_ outcome: Outcome) {
        let waiters = state.withLock { state in
            state.outcome = outcome
            return Self.takeUploadWaiters(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    var failure: ReplicatorError? {
        state.withLock {
            if case .failed(let error) = $0.outcome { return error }
            return nil
        }
    }

    // MARK: the uploads' side

    /// Registers an upload starting at offset 0. Uploads join before the download starts, so that the first
    /// bytes wait for them in memory.
    func join() -> Int {
        state.withLock { state in
            state.nextID += 1
            state.positions[state.nextID] = 0
            return state.nextID
        }
    }

    /// The upload ended (sent, failed or cancelled): the download no longer waits for it.
    func leave(_ upload: Int) {
        let waiter = state.withLock { state in
            state.positions.removeValue(forKey: upload)
            return Self.takeDownloadWaiter(&state, window: window)
        }
        waiter?.resume()
    }

    /// What the upload `upload`, having sent `offset` bytes, sends next; waits until there is something.
    /// Throws the download's error if it failed.
    func next(_ upload: Int, at offset: Int64) async throws -> Piece {
        while true {
            let (piece, waiter) = state.withLock { state in
                if state.positions[upload] != nil { state.positions[upload] = offset }
                return (
                    Self.piece(state, at: offset, size: size, holdBack: holdBack),
                    Self.takeDownloadWaiter(&state, window: window)
                )
            }
            waiter?.resume()
            if let piece { return try piece.get() }
            let id = state.withLock { state in
                state.nextID += 1
                return state.nextID
            }
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let ready = state.withLock { state -> Bool in
                        if Task.isCancelled || Self.piece(state, at: offset, size: size, holdBack: holdBack) != nil {
                            return true
                        }
                        state.uploadWaiters[id] = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.uploadWaiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
            }
            try Task.checkCancellation()
        }
    }

    // MARK: decisions (under the lock)

    private static func piece(
        _ state: State,
        at offset: Int64,
        size: Int64,
        holdBack: Int64
    ) -> Result<Piece, any Error>? {
        let released: Int64
        switch state.outcome {
        case .failed(let error): return .failure(error)
        case .verified: released = size
        case .pending: released = min(state.written, size - holdBack)
        }
        guard offset < size else { return .success(.end) }
        guard released > offset else { return nil }
        guard offset >= state.windowStart else {
            // Not in memory: from the file, as far as it holds the bytes (else wait for its writer).
            let readable = min(released, state.stored)
            return readable > offset ? .success(.file(upTo: readable)) : nil
        }
        var start = state.windowStart
        for chunk in state.chunks {
            let end = start + Int64(chunk.readableBytes)
            if offset < end {
                let length = Int(min(end, released) - offset)
                return .success(.memory(chunk.getSlice(at: chunk.readerIndex + Int(offset - start), length: length)!))
            }
            start = end
        }
        return nil
    }

    /// Room for the download to add: no upload in the window, or the leading one less than `window` behind.
    private static func hasRoom(_ state: State, window: Int64) -> Bool {
        guard window > 0, let lead = state.positions.values.max(), lead >= state.windowStart else { return true }
        return state.written - lead < window
    }

    private static func appendIfRoom(
        _ chunk: ByteBuffer,
        inFile: Bool,
        _ state: inout State,
        window: Int64
    ) -> [CheckedContinuation<Void, any Error>]? {
        guard hasRoom(state, window: window) else { return nil }
        let lead = state.positions.values.max().flatMap { $0 >= state.windowStart ? $0 : nil }
        let count = Int64(chunk.readableBytes)
        state.written += count
        if inFile { state.stored = max(state.stored, state.written) }
        if window > 0 {
            state.chunks.append(chunk)
            state.held += count
        } else {
            state.windowStart = state.written
        }
        // Beyond `window`, drop what the leading upload in the window has taken (never what it has yet to
        // take: it would fall behind to the file), or with none in it, the oldest; never what the file lacks.
        let keepFrom = min(lead ?? (state.written - window), state.stored)
        while let first = state.chunks.first, state.held > window,
            state.windowStart + Int64(first.readableBytes) <= keepFrom
        {
            state.chunks.removeFirst()
            state.held -= Int64(first.readableBytes)
            state.windowStart += Int64(first.readableBytes)
        }
        return takeUploadWaiters(&state)
    }

    private static func takeUploadWaiters(_ state: inout State) -> [CheckedContinuation<Void, any Error>] {
        defer { state.uploadWaiters = [:] }
        return Array(state.uploadWaiters.values)
    }

    private static func takeDownloadWaiter(_ state: inout State, window: Int64) -> CheckedContinuation<Void, any Error>?
    {
        guard state.downloadWaiter != nil, hasRoom(state, window: window) else { return nil }
        defer { state.downloadWaiter = nil }
        return state.downloadWaiter
    }
}
