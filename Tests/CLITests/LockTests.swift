import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One run per job: an overlapping run exits 5 naming the holder; a killed run's lock is recovered at once.
/// No Glance region is needed: the first run is kept busy by a port that never answers.
@Suite("Run lock", .serialized)
struct LockTests {
    let folder: URL

    init() throws {
        folder = ScratchDirectory.unusedURL("lock")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Starts `replicate` against a port that never answers; it holds its lock until killed.
    func startBusyRun(_ listener: HungListener, environment: [String: String]) throws -> ChildProcess {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        return try ChildProcess(
            [CLIRunner.binary.path, "replicate", "127.0.0.1:\(listener.port)", "127.0.0.1:1", "--concurrency", "1"],
            environment: env,
            stdout: folder.appendingPathComponent("busy.out").path,
            stderr: folder.appendingPathComponent("busy.err").path
        )
    }

    /// Waits until a lock file under `folder` names `pid` (the holder writes it right after locking).
    func waitForHolder(_ pid: pid_t, under root: URL) throws -> URL {
        for _ in 0..<200 {
            let files =
                FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?
                .compactMap { $0 as? URL }.filter { $0.pathExtension == "lock" } ?? []
            for file in files {
                if let text = try? String(contentsOf: file, encoding: .utf8), text.hasPrefix("\(pid) ") { return file }
            }
            usleep(50_000)
        }
        throw CLIRunner.Failure(description: "no lock file under \(root.path) names pid \(pid)")
    }

    @Test func overlappingRunExitsFiveNamingTheHolderAndAKilledRunsLockIsRecovered() async throws {
        let listener = try HungListener()
        let state = folder.appendingPathComponent("state")
        let environment = ["XDG_STATE_HOME": state.path]
        let busy = try startBusyRun(listener, environment: environment)
        var reaped = false
        defer {
            if !reaped {
                busy.kill()
                _ = busy.wait()
            }
        }
        let lockFile = try waitForHolder(busy.pid, under: state)
        #expect(lockFile.path.hasPrefix(state.path + "/glance-replicator/locks/"))

        // The same job (same locations, default lock path) while the first run is busy.
        let second = try await CLIRunner.run(
            ["replicate", "127.0.0.1:\(listener.port)", "127.0.0.1:1"],
            environment: environment
        )
        #expect(second.status == 5, "stderr: \(second.stderr)")
        let lines = second.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(second.stderr)")
        let host = ProcessInfo.processInfo.hostName
        #expect(lines.first?.hasPrefix("glance-replicator: error: another run holds the lock \(lockFile.path)") == true)
        #expect(lines.first?.contains("pid \(busy.pid) on \(host) since 20") == true, "\(second.stderr)")

        // Audits and dry runs take no lock.
        let dryRun = try await CLIRunner.run(
            ["replicate", "127.0.0.1:1", "127.0.0.1:2", "--dry-run", "--lock", lockFile.path],
            environment: environment
        )
        #expect(dryRun.status == 4, "stderr: \(dryRun.stderr)")

        // A killed holder's lock is free at once; the file still names the dead run until the next takes it.
        busy.kill(SIGKILL)
        #expect(busy.wait() == 128 + SIGKILL)
        reaped = true
        #expect(try String(contentsOf: lockFile, encoding: .utf8).hasPrefix("\(busy.pid) "))
        let recovered = try await CLIRunner.run(
            ["replicate", "127.0.0.1:1", "127.0.0.1:2", "--lock", lockFile.path],
            environment: environment
        )
        // Past the lock: it went on to the (unreachable) endpoint.
        #expect(recovered.status == 4, "stderr: \(recovered.stderr)")
        #expect(recovered.stderr.contains("cannot reach"))
        #expect(try !String(contentsOf: lockFile, encoding: .utf8).hasPrefix("\(busy.pid) "))
    }

    @Test func staleLockFileOfADeadProcessIsTakenOver() async throws {
        let lock = folder.appendingPathComponent("job.lock")
        try "99999999 gone-host 2020-01-01T00:00:00Z\n".write(to: lock, atomically: true, encoding: .utf8)
        let result = try await CLIRunner.run(["replicate", "127.0.0.1:1", "127.0.0.1:2", "--lock", lock.path])
        #expect(result.status == 4, "stderr: \(result.stderr)")
        let written = try String(contentsOf: lock, encoding: .utf8)
        #expect(!written.contains("gone-host"), "lock file: \(written)")
    }

    @Test func unusableLockPathIsAConfigurationError() async throws {
        let blocker = folder.appendingPathComponent("file")
        try Data().write(to: blocker)
        let result = try await CLIRunner.run(
            ["replicate", "127.0.0.1:1", "127.0.0.1:2", "--lock", blocker.path + "/sub/job.lock"]
        )
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("glance-replicator: error: cannot use the lock file"))
    }
}
