import CatalogDiff
import Foundation
import SyncEngine
import Synchronization

/// What surrounds one run of a job: the overlap lock taken before it, and the metrics file written after
/// it, whatever its outcome. Holds plain values read from the command, not the command itself, which
/// belongs to its `run()`.
final class UnattendedRun {
    /// What the run needs to know about its job.
    struct Job: Sendable {
        /// Endpoint roots: the source first, then the targets.
        var roots: [String]
        var shard: Shard?
        /// Nil when the command does not write, and so takes no lock.
        var lockPath: String?
        var metricsFile: String?
        var jsonLogs: Bool

        init(_ command: any JobCommand, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
            let options = command.common.unattended
            roots = command.locations.map(\.description)
            shard = try options.resolvedShard(environment: environment)
            metricsFile = options.metricsFile
            lockPath = command.writes ? options.lock ?? UnattendedRun.defaultLockPath(roots, shard, environment) : nil
            jsonLogs = options.logFormat == .json
        }
    }

    let job: Job
    private var lock: RunLock?
    private let started = ContinuousClock.now

    init(_ job: Job) {
        self.job = job
        RunIdentity.errorsAsJSON.withLock { $0 = job.jsonLogs }
    }

    /// Takes the job's lock, if it needs one.
    ///
    /// - Throws: a `ReplicatorError` of category `.locked` (exit 5) when another run of the job is under way.
    func begin() throws {
        if let lockPath = job.lockPath { lock = try RunLock(path: lockPath) }
    }

    /// One lock per job, named by a hash of the source, the targets and the shard, so that the same job
    /// started from cron and by hand collide, and two shards on one host do not.
    static func defaultLockPath(_ roots: [String], _ shard: Shard?, _ environment: [String: String]) -> String {
        var identity = roots.joined(separator: "\n")
        if let shard { identity += "\nshard \(shard)" }
        let name = String(Shard.hash(identity), radix: 16)
        return stateDirectory(environment: environment) + "/locks/\(name).lock"
    }

    /// `$XDG_STATE_HOME/glance-replicator`, by default `~/.local/state/glance-replicator`.
    static func stateDirectory(environment: [String: String]) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/glance-replicator" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/state/glance-replicator"
    }

    /// Writes `--metrics-file`, if asked for.
    func finish(exitCode: Int32) {
        guard let metricsFile = job.metricsFile else { return }
        let duration = ContinuousClock.now - started
        let previous = (try? String(contentsOfFile: metricsFile, encoding: .utf8)).flatMap(RunMetrics.lastSuccess(in:))
        let metrics = RunMetrics(
            source: job.roots.first ?? "",
            targets: Array(job.roots.dropFirst()),
            shard: job.shard,
            report: RunIdentity.report.withLock { $0 },
            exitCode: exitCode,
            // 1 is "differences found", the expected answer of an audit.
            success: exitCode == ExitStatus.success || exitCode == ExitStatus.differences,
            durationSeconds: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18,
            finished: Date().timeIntervalSince1970,
            previousLastSuccess: previous
        )
        do {
            try AtomicFile.write(Data(metrics.text.utf8), to: metricsFile)
        } catch {
            ExitStatus.printError("cannot write the metrics file \(metricsFile): \(error.localizedDescription)")
        }
    }
}
