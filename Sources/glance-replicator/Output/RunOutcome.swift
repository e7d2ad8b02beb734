import ArgumentParser
import CatalogDiff

/// How a finished run's report becomes its exit code (the contract in README "Exit codes").
enum RunOutcome {
    /// A run a signal stopped exits 130 (SIGINT) or 143 (SIGTERM) after one line saying what the next run
    /// continues; any other run goes on to its command's own outcome.
    static func stopped(by signal: String?, interrupted: Int) throws {
        guard let signal else { return }
        ExitStatus.printError(
            "stopped by \(signal): \(interrupted) image copies interrupted; the next run continues them"
        )
        throw ExitStatus.Finished(code: signal == "SIGINT" ? ExitStatus.interrupted : ExitStatus.terminated)
    }

    /// `compare`: 1 when the catalogs differ in any way (an `extra` image counts); 3 when a catalog lists
    /// invalid records.
    static func compare(_ report: Report) throws {
        // One target's images are passed as they are: flattening copies every image's report.
        let images = report.targets.count == 1 ? report.targets[0].images : report.targets.flatMap(\.images)
        if invalidRecords(images) {
            throw ExitStatus.Finished(code: ExitStatus.imagesFailed)
        }
        if report.targets.contains(where: { $0.summary.hasDifferences || ($0.members?.hasDifferences ?? false) }) {
            throw ExitStatus.Finished(code: ExitStatus.differences)
        }
    }

    /// `replicate`, `load`, `dump`: a dry run exits 1 when there is work to do (a copy, an update, a
    /// conflict, a deletion); a real run exits 3 when images failed, are in conflict, or `--prune` refused.
    static func replicate(_ report: Report, dryRun: Bool) throws {
        let images = report.targets.flatMap(\.images)
        for refusal in report.targets.compactMap(\.pruneRefused) {
            ExitStatus.printError(refusal.message)
        }
        let invalid = invalidRecords(images)
        if dryRun {
            if invalid { throw ExitStatus.Finished(code: ExitStatus.imagesFailed) }
            if images.contains(where: \.action.isWork)
                || report.targets.contains(where: { $0.members?.hasWork ?? false })
            {
                throw ExitStatus.Finished(code: ExitStatus.differences)
            }
        } else {
            let failed = images.filter { $0.result == .failed }.count
            let conflicts = images.filter { $0.action == .conflict }.count
            let refused = report.targets.contains { $0.pruneRefused != nil }
            let memberErrors = report.targets.compactMap(\.members).map(\.errors.count).reduce(0, +)
            if failed + conflicts + memberErrors > 0 || refused || invalid {
                var parts: [String] = []
                if failed > 0 { parts.append("\(failed) failed") }
                if memberErrors > 0 { parts.append("members of \(memberErrors) shared images not replicated") }
                if conflicts > 0 { parts.append("\(conflicts) in data_conflict (never overwritten)") }
                if refused { parts.append("--prune deleted nothing (over --max-delete)") }
                if invalid { parts.append("invalid records never acted on") }
                ExitStatus.printError(parts.joined(separator: ", ") + "; the other images are done, see the report")
                throw ExitStatus.Finished(code: ExitStatus.imagesFailed)
            }
        }
    }

    /// Records with an id that is not a UUID or a size out of range: never acted on, exit 3 for any run
    /// (a dry run too: a monitoring system must see them). Says so in one line; true when there are any.
    static func invalidRecords(_ images: [ImageReport]) -> Bool {
        // By position: `filter` copies every image's report (a retain and release of each string) to look
        // at its state.
        var invalid: [ImageReport] = []
        for index in images.indices where images[index].state == .invalid { invalid.append(images[index]) }
        guard !invalid.isEmpty else { return false }
        ExitStatus.printError(
            "\(invalid.count) invalid record\(invalid.count == 1 ? "" : "s") (an id that is not a UUID, or a size out "
                + "of range), never acted on: \(invalid.prefix(3).map { "\($0.id): \($0.error ?? "")" }.joined(separator: "; "))"
        )
        return true
    }
}
