/// The run-wide part of every copy, as `replicate` and `sync` set it up.
extension CopyContext {
    /// - Parameters:
    ///   - spoolPaths: the spool files of this run's images, which count as the run's own (not as other
    ///     disk use against `--spool-max`, and never swept as stale).
    init(
        options: ReplicationOptions,
        journal: Journal?,
        runID: Int64?,
        spoolPaths: Set<String>,
        counters: TransferCounters
    ) {
        self.init(
            journal: journal,
            runID: runID,
            spool: options.spool,
            budget: SpoolBudget(
                limit: options.spool.maxBytes,
                used: options.spool.maxBytes == nil
                    ? 0 : SpoolBudget.diskUse(under: options.spool.directory, excluding: spoolPaths)
            ),
            pace: options.bandwidthLimit.map { RateLimiter(bytesPerSecond: $0) },
            counters: counters,
            observer: options.observer
        )
    }
}
