import Synchronization

/// What the download that fills a spool file tells the uploads that follow it: how many bytes are in the
/// file, and whether the whole was verified.
///
/// Uploads are released everything but the last `holdBack` bytes as they arrive, and those last bytes only
/// once the md5 and multihash of the whole matched the source's record: an upload of corrupt data never
/// completes, so Glance never activates it. Waiting is by continuation, not polling; a cancelled upload stops
/// waiting at once.
final class SpoolFeed: Sendable {
    enum Outcome: Sendable {
        case pending
        case verified
        case failed(ReplicatorError)
    }

    private struct State {
        var written: Int64
        var outcome = Outcome.pending
        var waiters: [Int: CheckedContinuation<Int64, any Error>] = [:]
        var nextWaiter = 0
    }

    let size: Int64
    let holdBack: Int64
    private let state: Mutex<State>

    init(size: Int64, written: Int64 = 0, holdBack: Int64 = 64 * 1024) {
        self.size = size
        self.holdBack = min(holdBack, size)
        state = Mutex(State(written: written))
    }

    /// The download has put `written` bytes into the file.
    func advance(to written: Int64) {
        update { $0.written = written }
    }

    /// The download ended: verified, or failed with the error every waiting upload now throws.
    func finish(_ outcome: Outcome) {
        update { $0.outcome = outcome }
    }

    var failure: ReplicatorError? {
        state.withLock {
            if case .failed(let error) = $0.outcome { return error }
            return nil
        }
    }

    /// Waits until an upload that has sent `offset` bytes may send more, and returns up to where it may send;
    /// returns `size` at the end. Throws the download's error if it failed.
    func releasable(after offset: Int64) async throws -> Int64 {
        while true {
            let answer = try await waitForChange(after: offset)
            if answer != Self.lookAgain { return answer }
        }
    }

    /// Answers at once when it can, else when the download next reports (`lookAgain`).
    private func waitForChange(after offset: Int64) async throws -> Int64 {
        let id = state.withLock {
            $0.nextWaiter += 1
            return $0.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                state.withLock { state in
                    if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else if let answer = Self.answer(state, offset: offset, size: size, holdBack: holdBack) {
                        continuation.resume(with: answer)
                    } else {
                        state.waiters[id] = continuation
                    }
                }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    private func update(_ change: (inout State) -> Void) {
        let ready = state.withLock { state in
            change(&state)
            let waiters = state.waiters
            state.waiters = [:]
            return waiters
        }
        // Every waiter looks again; those with nothing new register anew.
        for continuation in ready.values {
            continuation.resume(returning: Self.lookAgain)
        }
    }

    private static let lookAgain: Int64 = -1

    private static func answer(
        _ state: State,
        offset: Int64,
        size: Int64,
        holdBack: Int64
    ) -> Result<Int64, any Error>? {
        switch state.outcome {
        case .failed(let error): return .failure(error)
        case .verified: return .success(size)
        case .pending:
            let limit = min(state.written, size - holdBack)
            return limit > offset ? .success(limit) : nil
        }
    }
}
