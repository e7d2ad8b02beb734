import CatalogDiff
import Foundation
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

@Suite("State journal")
struct JournalTests {
    let path = ScratchDirectory.unusedURL("journal").appendingPathComponent("state.sqlite").path

    let image = ImageRecord(id: "1b2c", name: "debian", status: "active", size: 42, checksum: "abc")

    @Test func aNewJournalHasTheCurrentSchema() async throws {
        let journal = try Journal(path: path)
        #expect(try await journal.storedVersion() == Journal.schemaVersion)
    }

    @Test func anOlderJournalIsMigratedWithNothingLost() async throws {
        // A journal as release 1 of the schema left it: a run, and a transfer under way.
        let old = try Journal(path: path, schemaVersion: 1)
        #expect(try await old.storedVersion() == 1)
        let expected = ExpectedData(image)
        try await old.execute(
            "INSERT INTO runs (started_at, pid, source, targets) VALUES ('2026-01-01T00:00:00Z', 1, 'http://a', 'http://b')"
        )
        try await old.beginTransfer(source: "http://a", image: image, expected: expected, spoolPath: "/spool/1b2c.part")
        try await old.recordSpooled(source: "http://a", imageID: "1b2c", bytes: 21)

        let journal = try Journal(path: path)
        #expect(try await journal.storedVersion() == Journal.schemaVersion)
        let runs = try await journal.lastRuns()
        #expect(runs.map(\.source) == ["http://a"])
        #expect(runs.first?.copied == 0)
        let transfer = try #require(try await journal.transfer(source: "http://a", imageID: "1b2c"))
        #expect(transfer.spooledBytes == 21)
        #expect(transfer.expected == expected)
        #expect(transfer.spoolPath == "/spool/1b2c.part")
    }

    @Test func aJournalFromANewerReleaseIsRefused() async throws {
        let journal = try Journal(path: path)
        try await journal.execute("PRAGMA user_version = \(Journal.schemaVersion + 1)")
        #expect {
            _ = try Journal(path: path)
        } throws: { error in
            (error as? ReplicatorError)?.message.contains("newer than this glance-replicator knows") == true
        }
    }

    @Test func transfersAreTrackedPerTargetUntilTheyEnd() async throws {
        let journal = try Journal(path: path)
        let run = try await journal.beginRun(source: "http://a", targets: ["http://b", "http://c"])
        try await journal.beginTransfer(source: "http://a", image: image, expected: ExpectedData(image), spoolPath: nil)
        try await journal.recordTarget(
            source: "http://a",
            imageID: "1b2c",
            target: "http://b",
            state: "verified",
            runID: run
        )
        try await journal.recordTarget(
            source: "http://a",
            imageID: "1b2c",
            target: "http://c",
            state: "uploading",
            runID: run
        )
        let partial = try await journal.partialTransfers()
        #expect(partial.count == 1)
        #expect(partial.first?.targets == ["http://b": "verified", "http://c": "uploading"])

        try await journal.endTransfer(source: "http://a", imageID: "1b2c")
        #expect(try await journal.partialTransfers().isEmpty)
        try await journal.finishRun(run, outcome: "done", copied: 2, failed: 0, bytesRead: 42)
        let last = try #require(try await journal.lastRuns().first)
        #expect(last.outcome == "done")
        #expect(last.targets == ["http://b", "http://c"])
        #expect(last.bytesRead == 42)
    }

    @Test func aRunWhoseProcessIsGoneIsMarkedKilled() async throws {
        let journal = try Journal(path: path)
        // pid 2^22 + 1 is above Linux's pid_max: no such process.
        try await journal.execute(
            "INSERT INTO runs (started_at, pid, source, targets) VALUES ('2026-01-01T00:00:00Z', 4194305, 'http://a', 'http://b')"
        )
        let live = try await journal.beginRun(source: "http://a", targets: ["http://b"])
        let runs = try await journal.lastRuns()
        #expect(runs.first { $0.id == live }?.outcome == "running")
        #expect(runs.first { $0.id != live }?.outcome == "killed")
    }
}
