import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The state journal failing under a run, against real Glance regions through the built binary: held locked by
/// another process (SQLITE_BUSY), or refused by its disk (a write past RLIMIT_FSIZE fails with EFBIG, as one on
/// a full disk fails with ENOSPC). Before anything is copied, the run stops with one line saying what to do and
/// writes nothing into any region; during a copy, the image fails with that line, the target's record is kept
/// (never deleted), and the next run completes the copy.
extension ReplicationTests {
    @Suite("Journal faults: a locked or full journal", .serialized)
    struct JournalFaultTests {
        let a: GlanceTestClient
        let b: GlanceTestClient

        init() async throws {
            (a, b) = try await RealRegions.emptiedAB()
        }

        /// Another process holding the journal's write lock for `seconds` (Python's sqlite3, as a program
        /// reading the journal would), once `marker` exists: it has the lock.
        static func holdLock(on path: String, for seconds: Int, in scratch: ScratchDirectory) throws -> ChildProcess {
            let marker = scratch.file("locked")
            let script = """
                import sqlite3, sys, time
                db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("BEGIN EXCLUSIVE")
                open(sys.argv[2], "w").close()
                time.sleep(float(sys.argv[3]))
                db.execute("COMMIT")
                """
            let holder = try ChildProcess(
                ["python3", "-c", script, path, marker, "\(seconds)"],
                environment: ProcessInfo.processInfo.environment,
                stdout: scratch.file("holder.out"),
                stderr: scratch.file("holder.err")
            )
            for _ in 0..<300 where !FileManager.default.fileExists(atPath: marker) { usleep(20_000) }
            #expect(FileManager.default.fileExists(atPath: marker), "the lock holder never took the lock")
            return holder
        }

        /// One test's image (random bytes native to A) and its run's journal and spool in a scratch directory.
        struct Case {
            let id: String
            let data: Data
            let scratch: ScratchDirectory
            var journal: String { scratch.file("state.sqlite") }
            var state: [String] { ["--state", journal, "--spool", scratch.file("spool")] }
        }

        func makeCase(_ name: String, size: Int) async throws -> Case {
            let id = newID()
            let data = randomData(size)
            try await a.seed(id, data: data, ["name": name, "visibility": "public"])
            return Case(id: id, data: data, scratch: try ScratchDirectory(name))
        }

        /// Exit 4 with one error line naming the journal and saying `phrases`, and nothing written into B.
        func expectStoppedBeforeWriting(_ result: CLIResult, _ test: Case, saying phrases: [String]) async throws {
            #expect(result.status == 4, "stderr: \(result.stderr)")
            let lines = result.stderr.split(separator: "\n").filter { $0.contains("error") }
            #expect(lines.count == 1, "one line: \(result.stderr)")
            for phrase in [test.journal] + phrases {
                #expect(lines.first?.contains(phrase) == true, "\(phrase) in: \(result.stderr)")
            }
            #expect(try await b.allImages().isEmpty, "nothing is written into a region before the journal is")
        }

        /// The next run, with the journal usable again, completes the copy.
        func expectTheNextRunCompletes(_ test: Case) async throws {
            let next = try await CLIRunner.run(["replicate", a.root, b.root] + test.state)
            #expect(next.status == 0, "stderr: \(next.stderr)")
            #expect(try await b.data(test.id) == test.data)
        }

        @Test func aJournalAnotherProcessHoldsStopsTheRunBeforeItWritesAnything() async throws {
            let test = try await makeCase("journal-locked", size: 200_000)
            defer { test.scratch.remove() }
            let holder = try Self.holdLock(on: test.journal, for: 13, in: test.scratch)
            let locked = try await CLIRunner.run(["replicate", a.root, b.root] + test.state)
            try await expectStoppedBeforeWriting(
                locked,
                test,
                saying: ["database is locked", "another glance-replicator run with the same --state"]
            )
            #expect(holder.wait() == 0)
            try await expectTheNextRunCompletes(test)
        }

        @Test func aJournalLockedDuringACopyFailsTheImageKeepsTheRecordAndTheNextRunCompletesIt() async throws {
            let test = try await makeCase("journal-locked-mid-copy", size: 4 << 20)
            defer { test.scratch.remove() }
            let slow = try FaultProxy(upstream: a.root, ["--throttle", "\(1 << 20)"])
            defer { slow.stop() }

            let run = try CLIRunner.start(["replicate", slow.root, b.root, "--format", "json"] + test.state)
            for _ in 0..<600 where (try? slow.count("download_body_bytes")) ?? 0 < 1 << 20 { usleep(20_000) }
            #expect(try slow.count("download_body_bytes") >= 1 << 20, "the copy never got under way")
            // Held past the run's 10 s wait for the lock and beyond the copy's end.
            let holder = try Self.holdLock(on: test.journal, for: 20, in: test.scratch)
            let locked = try await run.finish()
            #expect(holder.wait() == 0)
            #expect(locked.status == 3, "stderr: \(locked.stderr)")
            let entry = try #require(try locked.images()[test.id], "stdout: \(locked.stdout)")
            #expect(entry["result"] as? String == "failed")
            let error = entry["error"] as? String ?? ""
            #expect(error.contains("state journal") && error.contains("database is locked"), "error: \(error)")
            // The target's record is kept whatever the copy had reached: never deleted, and active only with
            // the source's data.
            let kept = try #require(try await b.imageOnceSettled(test.id), "the target record was deleted")
            if kept["status"] as? String == "active" { #expect(try await b.data(test.id) == test.data) }
            #expect(try await a.data(test.id) == test.data)
            try await expectTheNextRunCompletes(test)
        }

        /// A journal that cannot be created where `--state` points (here /proc, where no file can be made,
        /// not even by root).
        @Test func aJournalThatCannotBeCreatedStopsTheRunBeforeItWritesAnything() async throws {
            let test = try await makeCase("journal-cannot-open", size: 50_000)
            defer { test.scratch.remove() }
            let journal = "/proc/\(getpid())/state.sqlite"
            let run = try await CLIRunner.run(["replicate", a.root, b.root, "--state", journal])
            #expect(run.status == 4, "stderr: \(run.stderr)")
            let lines = run.stderr.split(separator: "\n").filter { $0.contains("error") }
            #expect(lines.count == 1, "one line: \(run.stderr)")
            for phrase in [journal, "cannot open it", "give --state a path"] {
                #expect(lines.first?.contains(phrase) == true, "\(phrase) in: \(run.stderr)")
            }
            #expect(try await b.allImages().isEmpty, "nothing is written into a region before the journal is")
            try await expectTheNextRunCompletes(test)
        }

        @Test func aJournalItsDiskRefusesStopsTheRunBeforeItWritesAnything() async throws {
            let test = try await makeCase("journal-full", size: 100_000)
            defer { test.scratch.remove() }
            let full = try await CLIRunner.run(
                ["replicate", a.root, b.root] + test.state,
                launcher: LocalFaultTests.fileSizeLimited(8)
            )
            try await expectStoppedBeforeWriting(
                full,
                test,
                saying: ["File too large", "free space on its file system"]
            )
            try await expectTheNextRunCompletes(test)
        }
    }
}
