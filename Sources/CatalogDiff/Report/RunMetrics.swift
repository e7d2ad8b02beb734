import Foundation

/// The Prometheus text exposition of one run, for node_exporter's textfile collector (`--metrics-file`).
///
/// Every series carries the job's identity (`source`, and `target` or `targets`, and `shard` when the run
/// is one shard), so several jobs can write files into the same collector folder without colliding.
/// Per-target series are absent when the run ended before it had a report (an endpoint unreachable); the
/// run-level ones are always written, so an alert on `glance_replicator_last_success_timestamp_seconds`
/// sees failing runs too.
public struct RunMetrics: Sendable, Hashable {
    public var source: String
    public var targets: [String]
    public var shard: Shard?
    /// The run's report, when it got that far.
    public var report: Report?
    public var exitCode: Int32
    public var success: Bool
    public var durationSeconds: Double
    /// When the run ended, seconds since 1970.
    public var finished: Double
    /// The last successful run's end: this run's if it succeeded, else the one the previous file recorded.
    public var lastSuccess: Double?

    public init(
        source: String,
        targets: [String],
        shard: Shard?,
        report: Report?,
        exitCode: Int32,
        success: Bool,
        durationSeconds: Double,
        finished: Double,
        previousLastSuccess: Double?
    ) {
        self.source = source
        self.targets = targets
        self.shard = shard
        self.report = report
        self.exitCode = exitCode
        self.success = success
        self.durationSeconds = durationSeconds
        self.finished = finished
        self.lastSuccess = success ? finished : previousLastSuccess
    }

    static let prefix = "glance_replicator_"
    static let lastSuccessName = prefix + "last_success_timestamp_seconds"

    /// The last-success time a previous file recorded, so that a failed run does not erase it.
    public static func lastSuccess(in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(lastSuccessName) {
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { return value }
        }
        return nil
    }

    /// The file's text: `# HELP`/`# TYPE` then samples, one metric family at a time, ending in a newline.
    public var text: String {
        var out = ""
        func family(_ name: String, _ help: String, _ samples: [(labels: [(String, String)], value: String)]) {
            guard !samples.isEmpty else { return }
            out += "# HELP \(Self.prefix)\(name) \(help)\n# TYPE \(Self.prefix)\(name) gauge\n"
            for sample in samples {
                let labels = sample.labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
                out += "\(Self.prefix)\(name){\(labels)} \(sample.value)\n"
            }
        }
        var runLabels = [("source", source), ("targets", targets.joined(separator: ","))]
        var shardLabel: [(String, String)] = []
        if let shard {
            shardLabel = [("shard", shard.description)]
            runLabels += shardLabel
        }
        let targetReports = report?.targets ?? []
        func perTarget(_ value: (TargetReport) -> String) -> [(labels: [(String, String)], value: String)] {
            targetReports.map { ([("source", source), ("target", $0.target)] + shardLabel, value($0)) }
        }
        family(
            "images",
            "In-scope images per target by state, as planned at the start of the run.",
            targetReports.flatMap { target in
                ImageState.allCases.map { state in
                    (
                        [("source", source), ("target", target.target)] + shardLabel + [("state", state.rawValue)],
                        "\(target.images.filter { $0.state == state }.count)"
                    )
                }
            }
        )
        family(
            "image_results",
            "Images per target by what the run did with them (planned, done, failed, skipped, deferred).",
            targetReports.flatMap { target in
                ImageResult.allCases.map { result in
                    (
                        [("source", source), ("target", target.target)] + shardLabel + [("result", result.rawValue)],
                        "\(target.images.filter { $0.result == result }.count)"
                    )
                }
            }
        )
        family(
            "bytes_copied",
            "Bytes of image data copied to the target by this run (completed copies).",
            perTarget { target in
                "\(target.images.filter { $0.action == .copy && $0.result == .done }.reduce(Int64(0)) { $0.addingSaturated($1.bytes) })"
            }
        )
        family(
            "failures",
            "Images whose copy or metadata repair failed in this run.",
            perTarget { target in "\(target.images.filter { $0.result == .failed }.count)" }
        )
        family("run_duration_seconds", "How long the run took.", [(runLabels, Self.number(durationSeconds))])
        family("run_exit_code", "The run's exit code (see glance-replicator --help).", [(runLabels, "\(exitCode)")])
        family("run_success", "1 when the run succeeded, else 0.", [(runLabels, success ? "1" : "0")])
        family(
            "last_run_timestamp_seconds",
            "When the last run ended (Unix time).",
            [(runLabels, Self.number(finished))]
        )
        if let lastSuccess {
            family(
                "last_success_timestamp_seconds",
                "When the last successful run ended (Unix time).",
                [(runLabels, Self.number(lastSuccess))]
            )
        }
        return out
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Three decimals at most, no exponent.
    static func number(_ value: Double) -> String {
        let milli = (value * 1000).rounded()
        let whole = Int64(milli / 1000)
        let fraction = Int64(abs(milli)) % 1000
        guard fraction != 0 else { return "\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
