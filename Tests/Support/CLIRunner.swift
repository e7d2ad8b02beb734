import Foundation

/// Runs the built `glance-replicator` binary as a user would and captures what it prints.
package struct CLIResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String

    /// The `--format json` document.
    package func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw CLIRunner.Failure(description: "stdout is not a JSON object: \(stdout.prefix(500))")
        }
        return object
    }

    /// The first target's image entries by id.
    package func images() throws -> [String: [String: Any]] {
        let targets = try json()["targets"] as? [[String: Any]] ?? []
        let images = targets.first?["images"] as? [[String: Any]] ?? []
        return Dictionary(
            uniqueKeysWithValues: images.compactMap { entry in (entry["id"] as? String).map { ($0, entry) } }
        )
    }

    package func summary() throws -> [String: Int] {
        let targets = try json()["targets"] as? [[String: Any]] ?? []
        return targets.first?["summary"] as? [String: Int] ?? [:]
    }
}

package enum CLIRunner {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) { self.description = description }
    }

    /// The binary beside the test bundle in the build products folder, or GLANCE_REPLICATOR_BIN.
    package static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["GLANCE_REPLICATOR_BIN"] {
            return URL(fileURLWithPath: path)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0])
        while url.pathComponents.count > 1,
            !FileManager.default.fileExists(atPath: url.appendingPathComponent("glance-replicator").path)
        {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("glance-replicator")
    }

    /// Runs as a user would: the default `--concurrency` (4) unless a test names one. The test regions keep
    /// their catalogs in MariaDB, as production Glance does (scripts/glance-regions).
    /// `launcher` runs the binary under another program (e.g. a shell that sets a resource limit first).
    package static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        launcher: [String] = []
    ) async throws -> CLIResult {
        try await slots.withSlot {
            try await start(arguments, environment: environment, launcher: launcher).finish()
        }
    }

    /// Runs of the binary at once in this test process: as many as there are cores. The runs wait off Swift
    /// concurrency's pool (`RunningCLI.finish`), so without a bound every CLI test would start its binary at
    /// the same moment, and the in-process tests' timers would fire late on a machine run out of CPU.
    static let slots = ProcessSlots(ProcessInfo.processInfo.activeProcessorCount)

    /// Starts the binary and returns at once (for tests that signal or kill it mid-run).
    package static func start(
        _ arguments: [String],
        environment: [String: String] = [:],
        launcher: [String] = []
    ) throws -> RunningCLI {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "OS_AUTH_TOKEN")
        // The journal and spool of the test process, never the user's: runs within one test process share
        // them, as runs of one cron job do.
        env["XDG_STATE_HOME"] = stateHome.appendingPathComponent("state").path
        env["XDG_CACHE_HOME"] = stateHome.appendingPathComponent("cache").path
        env.merge(environment) { $1 }
        let directory = ScratchDirectory.unusedURL("cli")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let out = directory.appendingPathComponent("stdout")
        let err = directory.appendingPathComponent("stderr")
        let child = try ChildProcess(
            launcher + [binary.path] + arguments,
            environment: env,
            stdout: out.path,
            stderr: err.path
        )
        return RunningCLI(child: child, directory: directory)
    }

    /// XDG_STATE_HOME and XDG_CACHE_HOME of every run in this test process.
    package static let stateHome = ScratchDirectory.processRoot
}

/// A run of the binary under way.
package struct RunningCLI: Sendable {
    package let child: ChildProcess
    package let directory: URL

    package func signal(_ number: Int32) { child.kill(number) }

    /// Waits for the exit and returns what the run printed. The wait blocks a thread of its own, never one of
    /// Swift concurrency's pool: that pool has a thread per core (two here), and tests waiting there for their
    /// binaries starved every other test's tasks (a staged server's timer fired 50 s late).
    package func finish() async throws -> CLIResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try waitForExit() }) }
        }
    }

    private func waitForExit() throws -> CLIResult {
        let status = child.wait()
        defer { try? FileManager.default.removeItem(at: directory) }
        return CLIResult(
            status: status,
            stdout: try String(contentsOf: directory.appendingPathComponent("stdout"), encoding: .utf8),
            stderr: try String(contentsOf: directory.appendingPathComponent("stderr"), encoding: .utf8)
        )
    }

    /// The stderr written so far.
    package func stderrSoFar() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
    }
}

/// A counting semaphore for tasks: at most `count` bodies run at once, the others wait their turn in order.
package actor ProcessSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    package init(_ count: Int) {
        free = max(1, count)
    }

    package func withSlot<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if free > 0 {
            free -= 1
        } else {
            await withCheckedContinuation { waiting.append($0) }
        }
        defer {
            if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}
