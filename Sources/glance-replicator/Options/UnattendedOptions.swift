import ArgumentParser
import CatalogDiff
import Foundation

/// Options for runs nobody watches: job files, the overlap lock, machine-readable logs and metrics, the
/// time window and shards. Part of `CommonOptions`, so every command takes them; the lock is taken only by
/// commands that write (see `JobCommand.writes`).
struct UnattendedOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "A job file (YAML): option names as keys, plus source and targets; the command line wins.",
            valueName: "file"
        )
    )
    var config: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Lock file that keeps two writing runs (replicate without --dry-run) of the same job apart "
                + "(default: one per job under $XDG_STATE_HOME/glance-replicator/locks).",
            valueName: "path"
        )
    )
    var lock: String?

    @Option(name: .long, help: "Log format on stderr: text, or json (one object a line, info level and up).")
    var logFormat: LogFormat = .text

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Write Prometheus metrics of the run to this file (atomically, at the end of every run).",
            valueName: "path"
        )
    )
    var metricsFile: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Start no new image outside this daily local-time window.", valueName: "HH:MM-HH:MM")
    )
    var window: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Work on one part of the catalog: images whose id hashes to INDEX of COUNT.",
            valueName: "INDEX/COUNT"
        )
    )
    var shard: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Shard count, with the index taken from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).",
            valueName: "count"
        )
    )
    var shardCount: Int?

    @Flag(name: .long, help: .hidden)
    var checkArgs = false

    func validate() throws {
        _ = try timeWindow()
        _ = try resolvedShard()
    }

    func timeWindow() throws -> TimeWindow? {
        do {
            return try window.map { text throws(InvalidTimeWindow) in try TimeWindow(parsing: text) }
        } catch {
            throw ValidationError("--window: \(error.description)")
        }
    }

    /// The shard from `--shard`, or from `--shard-count` and the Indexed Job's completion index.
    func resolvedShard(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Shard? {
        do {
            switch (shard, shardCount) {
            case (nil, nil):
                return nil
            case (let text?, nil):
                return try Shard(parsing: text)
            case (nil, let count?):
                guard let text = environment["JOB_COMPLETION_INDEX"], let index = Int(text) else {
                    throw ValidationError(
                        "--shard-count needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); "
                            + "elsewhere use --shard INDEX/COUNT"
                    )
                }
                return try Shard(index: index, count: count)
            case (_?, _?):
                throw ValidationError("give --shard or --shard-count, not both")
            }
        } catch let error as InvalidShard {
            throw ValidationError("--shard: \(error.description)")
        }
    }
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
}
