import CatalogDiff
import Foundation

/// One run as the journal recorded it.
public struct JournalRun: Sendable, Hashable, Encodable {
    public var id: Int64
    public var startedAt: String
    public var finishedAt: String?
    public var pid: Int64
    public var source: String
    public var targets: [String]
    /// `running` while under way, else `done`, `failed`, `interrupted` (SIGINT/SIGTERM), or `killed` (its
    /// process ended without saying how, e.g. kill -9 or a power cut: the next run continues its transfers).
    public var outcome: String
    public var copied: Int64
    public var failed: Int64
    public var bytesRead: Int64

    enum CodingKeys: String, CodingKey {
        case id, pid, source, targets, outcome, copied, failed
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case bytesRead = "bytes_read"
    }
}

extension Journal {
    /// Records the start of a run and returns its id.
    public func beginRun(source: String, targets: [String]) throws(ReplicatorError) -> Int64 {
        try markKilledRuns()
        try database.query(
            "INSERT INTO runs (started_at, pid, source, targets) VALUES (?, ?, ?, ?)",
            [.text(Self.now()), .integer(Int64(getpid())), .text(source), .text(targets.joined(separator: " "))]
        )
        return database.lastInsertedRow
    }

    /// Records how a run ended from its images' outcomes (`action`, `result`): interrupted by a signal, failed
    /// when any image failed, else done; the copies made and the failures counted.
    func finishRun(
        _ id: Int64,
        outcomes: [(action: PlannedAction, result: ImageResult)],
        interrupted: Bool,
        bytesRead: Int64
    ) throws(ReplicatorError) {
        let failed = outcomes.filter { $0.result == .failed }.count
        try finishRun(
            id,
            outcome: interrupted ? "interrupted" : failed > 0 ? "failed" : "done",
            copied: outcomes.filter { $0.result == .done && $0.action == .copy }.count,
            failed: failed,
            bytesRead: bytesRead
        )
    }

    public func finishRun(
        _ id: Int64,
        outcome: String,
        copied: Int,
        failed: Int,
        bytesRead: Int64
    ) throws(ReplicatorError) {
        try database.query(
            "UPDATE runs SET finished_at = ?, outcome = ?, copied = ?, failed = ?, bytes_read = ? WHERE id = ?",
            [
                .text(Self.now()), .text(outcome), .integer(Int64(copied)), .integer(Int64(failed)),
                .integer(bytesRead), .integer(id),
            ]
        )
    }

    /// Runs recorded as `running` whose process is gone were killed.
    public func markKilledRuns() throws(ReplicatorError) {
        let running = try database.query("SELECT id, pid FROM runs WHERE outcome = 'running'")
        for row in running {
            guard let id = row[0].integer, let pid = row[1].integer else { continue }
            if kill(pid_t(pid), 0) != 0 && errno == ESRCH {
                try database.query(
                    "UPDATE runs SET outcome = 'killed' WHERE id = ? AND outcome = 'running'",
                    [.integer(id)]
                )
            }
        }
    }

    /// The most recent runs, newest first, with a `running` run whose process is gone shown as `killed`
    /// (without writing it: `status` only reads).
    public func lastRunsAsSeen(limit: Int = 10) throws(ReplicatorError) -> [JournalRun] {
        try lastRuns(limit: limit).map { run in
            var run = run
            if run.outcome == "running", kill(pid_t(run.pid), 0) != 0, errno == ESRCH { run.outcome = "killed" }
            return run
        }
    }

    /// The most recent runs, newest first.
    public func lastRuns(limit: Int = 10) throws(ReplicatorError) -> [JournalRun] {
        try database.query(
            """
            SELECT id, started_at, finished_at, pid, source, targets, outcome, copied, failed, bytes_read
            FROM runs ORDER BY id DESC LIMIT ?
            """,
            [.integer(Int64(limit))]
        ).map { row in
            JournalRun(
                id: row[0].integer ?? 0,
                startedAt: row[1].text ?? "",
                finishedAt: row[2].text,
                pid: row[3].integer ?? 0,
                source: row[4].text ?? "",
                targets: (row[5].text ?? "").split(separator: " ").map(String.init),
                outcome: row[6].text ?? "",
                copied: row[7].integer ?? 0,
                failed: row[8].integer ?? 0,
                bytesRead: row[9].integer ?? 0
            )
        }
    }
}
