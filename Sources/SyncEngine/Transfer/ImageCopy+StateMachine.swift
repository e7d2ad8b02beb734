import CatalogDiff

extension ImageCopy {
    /// The decisions of one copy through the spool, without I/O: where the read of the source starts, which targets
    /// each read serves, whether a read whose data did not verify is made again, and what becomes of the spool file
    /// at the end. `ImageCopy.spooled` carries out the actions it returns.
    ///
    /// ```
    /// resume(held:earlierMatches:)   → .continueAt(offset) | .truncate
    /// refused(index, error)          (a target whose record could not be prepared: out before any byte is read)
    /// nextRead()                     → .read(from:targets:fresh:) | .finish(Finish)
    /// readEnded(uploads:fetchError:) → .truncateAndReadAgain(after:) | .finish(Finish)
    /// ```
    struct SpoolStateMachine: Sendable {
        /// How the spool file found on disk is used.
        enum Start: Equatable, Sendable {
            /// The file holds the first `offset` bytes of this very image (same size and hashes as the journal
            /// recorded): the read goes on from there.
            case continueAt(Int64)
            /// Emptied first: nothing is known of it, or it is not this image's data.
            case truncate
        }

        /// What comes next.
        enum Next: Equatable, Sendable {
            /// Read the source from `offset` into the spool, uploading to the targets at `targets` (indices into the
            /// copy's targets) as the bytes arrive. `fresh`: their records were just prepared; otherwise an earlier
            /// upload into them was cut off, and each must first be back in `queued`.
            case read(from: Int64, targets: [Int], fresh: Bool)
            /// The data read did not verify (`error`): empty the spool file, then ask `nextRead()` again.
            case truncateAndReadAgain(after: ReplicatorError)
            case finish(Finish)
        }

        /// The end of the copy: one result per target, and what becomes of the spool file.
        struct Finish: Equatable, Sendable {
            let results: [Result<Int64, ReplicatorError>]
            let spool: SpoolFate

            /// The targets to give up on (their half-made copies are judged), with the reason.
            var failures: [(index: Int, error: ReplicatorError)] {
                results.enumerated().compactMap { index, result in
                    if case .failure(let error) = result { return (index, error) }
                    return nil
                }
            }
        }

        enum SpoolFate: Equatable, Sendable {
            /// Removed, and its transfer ended in the journal: every target holds a verified copy, or the source's
            /// data is not what its record says (nothing of it is worth keeping).
            case discard
            /// Flushed to disk and kept, with the journal's record of it, for the next run to go on from.
            case keep
        }

        private enum State: Equatable, Sendable {
            case resuming
            case preparing(start: Int64)
            case reading(attempt: Int, targets: [Int])
            case readingAgain(attempt: Int)
            case finished
        }

        private var state: State = .resuming
        private var results: [Result<Int64, ReplicatorError>?]
        /// How often the source is read at most: once, and once more when the data read did not verify (it may
        /// have been corrupted on the way).
        let maxReads: Int

        init(targets: Int, maxReads: Int = 2) {
            precondition(maxReads >= 1)
            self.results = Array(repeating: nil, count: targets)
            self.maxReads = maxReads
        }

        /// `held`: the spool file's length; `size`: the source record's; `earlierMatches`: the journal recorded a
        /// transfer of this image with the same size and hashes.
        mutating func resume(held: Int64, size: Int64, earlierMatches: Bool) -> Start {
            precondition(state == .resuming, "resume once, first")
            if earlierMatches, held >= 0, held <= size {
                state = .preparing(start: held)
                return .continueAt(held)
            }
            state = .preparing(start: 0)
            return .truncate
        }

        /// The record of target `index` could not be prepared: it takes no part in any read.
        mutating func refused(_ index: Int, _ error: ReplicatorError) {
            guard case .preparing = state else { preconditionFailure("refused after the first read") }
            results[index] = .failure(error)
        }

        /// The first read, or the one after `.truncateAndReadAgain`.
        mutating func nextRead() -> Next {
            let pending = results.indices.filter { results[$0] == nil }
            switch state {
            case .preparing(let start):
                guard !pending.isEmpty else { return finish(fetchError: nil) }
                state = .reading(attempt: 1, targets: pending)
                return .read(from: start, targets: pending, fresh: true)
            case .readingAgain(let attempt):
                state = .reading(attempt: attempt, targets: pending)
                return .read(from: 0, targets: pending, fresh: false)
            case .resuming, .reading, .finished:
                preconditionFailure("nextRead in state \(state)")
            }
        }

        /// The read and its uploads ended: `uploads` holds the results of the targets read for; `fetchError`, the
        /// error of the read of the source (or of emptying the spool file), if it failed.
        mutating func readEnded(uploads: [(Int, Result<Int64, ReplicatorError>)], fetchError: ReplicatorError?) -> Next
        {
            guard case .reading(let attempt, let targets) = state else {
                preconditionFailure("readEnded in state \(state)")
            }
            guard let fetchError else {
                for (index, result) in uploads { results[index] = result }
                return finish(fetchError: nil)
            }
            // Without the source's data no upload can have completed: what they say is moot.
            if fetchError.isDataMismatch, attempt < maxReads, !targets.isEmpty {
                state = .readingAgain(attempt: attempt + 1)
                return .truncateAndReadAgain(after: fetchError)
            }
            return finish(fetchError: fetchError)
        }

        /// Emptying the spool file for another read failed.
        mutating func truncateFailed(_ error: ReplicatorError) -> Next {
            guard case .readingAgain = state else { preconditionFailure("truncateFailed in state \(state)") }
            return finish(fetchError: error)
        }

        private mutating func finish(fetchError: ReplicatorError?) -> Next {
            state = .finished
            let final = results.map { $0 ?? .failure(fetchError ?? .interrupted("not run")) }
            let complete = final.allSatisfy { if case .success = $0 { true } else { false } }
            let fate: SpoolFate = complete || fetchError?.isDataMismatch == true ? .discard : .keep
            return .finish(Finish(results: final, spool: fate))
        }
    }
}
