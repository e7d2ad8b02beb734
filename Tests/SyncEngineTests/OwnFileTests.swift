import CatalogDiff
import Foundation
import Logging
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

/// The files the tool writes: private, never through a planted link, and the spool held by one process.
@Suite("Own files: modes, links, spool locks, stale spool files, read-only status")
struct OwnFileTests {
    let folder = ScratchDirectory.unusedURL("own").path

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func aSpoolFileBelongsToOneHolderAtATime() throws {
        let path = "\(folder)/spool/abc/x.part"
        do {
            let first = try SpoolFile(path: path)
            try first.write(.init(bytes: [1, 2, 3]), at: 0)
            // A second open (another process's, or another open file description here) is refused, not
            // shared: it never truncates the holder's file.
            let error = #expect(throws: ReplicatorError.self) { try SpoolFile(path: path) }
            #expect(error?.category == .image)
            #expect(error?.message.contains("in use by another glance-replicator run") == true)
            #expect(try first.length() == 3)
            #expect(try mode(path) == 0o600)
            #expect(try mode("\(folder)/spool/abc") == 0o700)
        }
        // Released with the holder.
        let second = try SpoolFile(path: path)
        #expect(try second.length() == 3)
    }

    @Test func aSpoolPathThatIsALinkIsNotFollowed() throws {
        try FileManager.default.createDirectory(atPath: "\(folder)/spool", withIntermediateDirectories: true)
        let victim = "\(folder)/victim"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: "\(folder)/spool/x.part", withDestinationPath: victim)
        #expect(throws: ReplicatorError.self) { try SpoolFile(path: "\(folder)/spool/x.part") }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
    }

    /// Older than the age (the default, 7 days, or `--spool-max-age`'s), neither held nor wanted: deleted.
    @Test(arguments: [SpoolPolicy.defaultStaleAge, 2 * 3600] as [TimeInterval])
    func staleSpoolFilesAreRemovedByAgeExceptHeldOrWantedOnes(age: TimeInterval) throws {
        var spool = SpoolPolicy(mode: .auto, directory: "\(folder)/spool", maxBytes: nil)
        spool.staleAge = age
        let paths = ["old", "recent", "held", "wanted"].map { "\(folder)/spool/abc/\($0).part" }
        for path in paths { _ = try SpoolFile(path: path) }
        // "recent": younger than the age by an hour.
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-age + 3600)],
            ofItemAtPath: paths[1]
        )
        let old = Date().addingTimeInterval(-age - 3600)
        for path in [paths[0], paths[2], paths[3]] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path)
        }
        let held = try SpoolFile(path: paths[2])
        let removed = spool.removeStale(keeping: [paths[3]], logger: Logger(label: "sweep-test"))
        withExtendedLifetime(held) {}
        #expect(removed == [paths[0]])
        #expect(!FileManager.default.fileExists(atPath: paths[0]))
        for path in paths.dropFirst() { #expect(FileManager.default.fileExists(atPath: path)) }
    }

    @Test func replacingAFileMakesItPrivateAndReplacesALinkInsteadOfWritingThroughIt() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let victim = "\(folder)/victim"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
        let path = "\(folder)/report.json"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: victim)
        try OwnFile.replace(path, with: Data("{}".utf8))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{}")
        #expect(try mode(path) == 0o600)
        try OwnFile.replace("\(folder)/metrics.prom", with: Data("x 1\n".utf8), mode: OwnFile.publicMode)
        #expect(try mode("\(folder)/metrics.prom") == 0o644 & ~Int(umaskValue()))
        // No temporary file is left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(Set(names) == ["victim", "report.json", "metrics.prom"])
    }

    @Test func theJournalIsPrivateAndStatusReadsItWithoutWriting() async throws {
        let path = "\(folder)/state/state.sqlite"
        do {
            let journal = try Journal(path: path)
            _ = try await journal.beginRun(source: "http://a", targets: ["http://b"])
        }
        #expect(try mode(path) == 0o600)
        // A run recorded as running by a process that no longer exists.
        let writer = try Journal(path: path)
        try await writer.execute("UPDATE runs SET pid = 2147483646")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let reader = try Journal(readingAt: path)
        let runs = try await reader.lastRunsAsSeen()
        #expect(runs.map(\.outcome) == ["killed"])
        #expect(try await writer.lastRuns().map(\.outcome) == ["running"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // A missing journal is an error for the reader, and is not created.
        #expect(throws: ReplicatorError.self) { try Journal(readingAt: "\(folder)/none.sqlite") }
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/none.sqlite"))
    }

    @Test func aJournalPathThatIsALinkIsRefused() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let victim = "\(folder)/victim"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: "\(folder)/state.sqlite", withDestinationPath: victim)
        #expect(throws: ReplicatorError.self) { try Journal(path: "\(folder)/state.sqlite") }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
    }

    private func umaskValue() -> mode_t {
        let current = umask(0)
        umask(current)
        return current
    }
}
