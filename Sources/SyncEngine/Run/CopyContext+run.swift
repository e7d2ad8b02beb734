import CatalogDiff
import Logging

extension CopyContext {
    /// What a writing run (`replicate`, `sync`) sets up before its first copy: the journal and the run's record
    /// in it, and the sweep of stale spool files.
    ///
    /// - Parameters:
    ///   - source: the run's source as the journal names it (`sync` for a mesh).
    ///   - targets: the targets' names.
    ///   - spoolPaths: the spool files of this run's images, which count as the run's own (not as other
    ///     disk use against `--spool-max`, and never swept as stale).
    static func begin(
        options: ReplicationOptions,
        source: String,
        targets: [String],
        spoolPaths: Set<String>,
        logger: Logger
    ) async throws(ReplicatorError) -> CopyContext {
        let journal = try options.statePath.map { path throws(ReplicatorError) in try Journal(path: path) }
        let runID = try await journal?.beginRun(source: source, targets: targets)
        if options.spool.mode != .never {
            options.spool.removeStale(keeping: spoolPaths, logger: logger)
        }
        return CopyContext(
            journal: journal,
            runID: runID,
            spool: options.spool,
            budget: SpoolBudget(
                limit: options.spool.maxBytes,
                used: options.spool.maxBytes == nil
                    ? 0 : SpoolBudget.diskUse(under: options.spool.directory, excluding: spoolPaths)
            ),
            pace: options.bandwidthLimit.map { RateLimiter(bytesPerSecond: $0) },
            counters: TransferCounters(),
            observer: options.observer
        )
    }

    /// Records the run's end in the journal: what each image's action came to, whether a signal stopped it,
    /// and the bytes it read.
    func finish(outcomes: [(PlannedAction, ImageResult)], interrupted: Bool) async throws(ReplicatorError) {
        guard let journal, let runID else { return }
        try await journal.finishRun(runID, outcomes: outcomes, interrupted: interrupted, bytesRead: counters.bytesRead)
    }
}
