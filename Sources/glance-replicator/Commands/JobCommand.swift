import SyncEngine

/// A command that runs a job between catalogs: what the unattended machinery (lock, metrics, `--check-args`)
/// needs to know about it, kept out of the commands' `run()`.
protocol JobCommand: SendableMetatype {
    var common: CommonOptions { get }
    /// The locations, in the order given: the source first, then the targets.
    var locations: [ImageLocation] { get }
    /// Whether the run writes to a target, and so must not overlap another run of the same job.
    var writes: Bool { get }
}

extension CompareCommand: JobCommand {
    var locations: [ImageLocation] { [source, target] }
    var writes: Bool { false }
}

extension ReplicateCommand: JobCommand {
    var locations: [ImageLocation] { [source] + targets }
    var writes: Bool { !dryRun }
}
