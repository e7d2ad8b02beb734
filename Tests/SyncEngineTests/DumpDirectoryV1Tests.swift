import CatalogDiff
import Foundation
import Logging
import Synchronization
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

/// Dump directories of the old glance-replicator (a bare `<id>` file holding the Images v1 record, and
/// `<id>.img`) read beside this tool's layout, without a server.
@Suite("Old glance-replicator dumps")
struct DumpDirectoryV1Tests {
    let root: URL

    init() throws {
        root = ScratchDirectory.unusedURL("olddump")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    var directory: DumpDirectory { DumpDirectory(path: root.path) }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: root.appendingPathComponent(name))
    }

    static func v1(_ id: String, isPublic: Bool = true, deleted: Bool = false, name: String = "old") -> String {
        #"{"status": "active", "name": "\#(name)", "deleted": \#(deleted), "container_format": "bare", "#
            + #""created_at": "2016-05-01T10:00:00.000000", "disk_format": "raw", "#
            + #""updated_at": "2016-05-01T10:00:01.000000", "id": "\#(id)", "owner": null, "protected": false, "#
            + #""min_ram": 0, "checksum": "e2fc714c4727ee9395f324cd2e7f331f", "min_disk": 0, "#
            + #""is_public": \#(isPublic), "deleted_at": null, "properties": {"os_distro": "debian"}, "size": 4, "#
            + #""virtual_size": null}"#
    }

    static func v2(_ id: String) -> String {
        #"{"id":"\#(id)","name":"new","status":"active","visibility":"public","size":4,"#
            + #""checksum":"e2fc714c4727ee9395f324cd2e7f331f","tags":[]}"#
    }

    /// Collects what the listing logs.
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var logger: Logger {
            Logger(label: "test") { _ in Handler(lines: self) }
        }
        var all: [String] { lines.withLock { $0 } }

        struct Handler: LogHandler {
            let lines: Lines
            var logLevel: Logger.Level = .trace
            var metadata: Logger.Metadata = [:]
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                lines.lines.withLock { $0.append("\(event.level): \(event.message)") }
            }
        }
    }

    @Test func oldRecordsAreReadBesideCurrentOnes() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let old = "0b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e"
        let privateOld = "1b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e"
        let deleted = "2b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e"
        let both = "3b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e"
        let current = "4b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e"
        try write(old, Self.v1(old))
        try write("\(old).img", "abcd")
        try write(privateOld, Self.v1(privateOld, isPublic: false))
        try write(deleted, Self.v1(deleted, deleted: true))
        try write(both, Self.v1(both, name: "old-name"))
        try write("\(both).json", Self.v2(both))
        try write("\(current).json", Self.v2(current))
        let lines = Lines()
        let images = Dictionary(
            uniqueKeysWithValues: try directory.listCatalog(logger: lines.logger).map { ($0.id, $0) }
        )
        #expect(Set(images.keys) == [old, privateOld, both, current])
        #expect(images[old]?.visibility == .public)
        #expect(images[old]?.properties == ["os_distro": "debian"])
        #expect(images[privateOld]?.visibility == .private)
        #expect(images[both]?.name == "new", "the current layout's record wins")
        #expect(lines.all.isEmpty)
    }

    @Test func entriesOfNeitherLayoutAreAWarningNamingThem() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let id = "0b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e"
        try write(id, Self.v1(id))
        try write("\(id).img", "abcd")
        try write("README.txt", "x")
        try write("0b7c9e0e", "x")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("lost+found"),
            withIntermediateDirectories: false
        )
        let lines = Lines()
        #expect(try directory.listCatalog(logger: lines.logger).count == 1)
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        #expect(line.hasPrefix("warning: "))
        #expect(line.contains("3 entries of neither dump layout"))
        #expect(line.contains("0b7c9e0e, README.txt, lost+found"))
    }

    /// Files but no record of either layout: not a dump, whatever else it is (never an empty catalog).
    @Test(arguments: [["photo.jpg"], ["0b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e.img"], ["x.img.part", "y"]])
    func filesWithoutRecordsAreNotADump(_ names: [String]) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        for name in names { try write(name, "x") }
        let error = #expect(throws: ReplicatorError.self) { try directory.listCatalog(logger: Lines().logger) }
        #expect(error?.category == .usage)
        #expect(error?.message.contains("holds \(names.count) file") == true)
        #expect(error?.message.contains("but no image record") == true)
    }

    @Test func emptyDirectoryIsAnEmptyCatalog() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try directory.listCatalog(logger: Lines().logger).isEmpty)
    }

    /// A directory that is not there is unreadable (exit 4) when read, and where `dump` will create it.
    @Test func missingDirectoryIsUnreadableButDumpMayCreateIt() throws {
        try FileManager.default.removeItem(at: root)
        let error = #expect(throws: ReplicatorError.self) { try directory.listCatalog(logger: Lines().logger) }
        #expect(error?.category == .fatal)
        #expect(error?.message.contains("No such file or directory") == true)
        try directory.refuseOldLayout()
    }

    @Test(arguments: [
        ("{\"id\": \"x\"", "not an Images v1 image record (not JSON)"),
        (#"{"id": "0b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e", "status": "active"}"#, "no is_public"),
        (v1("9b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e"), "it describes image 9b7c9e0e"),
    ])
    func unreadableOldRecordNamesItsFile(_ text: String, _ reason: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let id = "0b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e"
        try write(id, text)
        let error = #expect(throws: ReplicatorError.self) { try directory.listCatalog(logger: Lines().logger) }
        #expect(error?.message.contains("\(root.path)/\(id)") == true)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    /// `dump` writes the current layout only, and never where the old tool's `<id>.img` files are.
    @Test func dumpRefusesAnOldDump() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try directory.refuseOldLayout()
        let id = "0b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e"
        try write(id, Self.v1(id))
        let error = #expect(throws: ReplicatorError.self) { try directory.refuseOldLayout() }
        #expect(error?.category == .usage)
        #expect(error?.message.contains("old glance-replicator's layout") == true)
    }

    @Test(arguments: [
        ("0b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e", true), ("0B7C9E0E-6F5E-4A59-9A0E-1D2A3B4C5D6E", true),
        ("0b7c9e0e6f5e4a599a0e1d2a3b4c5d6e", false), ("0b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6g", false),
        ("0b7c9e0e-6f5e-4a59-9a0e-1d2a3b4c5d6e.img", false), ("", false),
    ])
    func oldRecordNamesAreUUIDs(_ name: String, _ isRecord: Bool) {
        #expect(DumpDirectory.isUUID(name) == isRecord)
    }
}
