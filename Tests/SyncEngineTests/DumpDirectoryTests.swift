import CatalogDiff
import Foundation
import NIOCore
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

@Suite("Dump directories")
struct DumpDirectoryTests {
    let root: URL

    init() throws {
        root = ScratchDirectory.unusedURL("dump")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    var directory: DumpDirectory { DumpDirectory(path: root.path) }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: root.appendingPathComponent(name))
    }

    func record(_ id: String, size: Int = 10, name: String = "img") -> String {
        #"{"id":"\#(id)","name":"\#(name)","status":"active","visibility":"public","size":\#(size),"#
            + #""checksum":"abc","os_hash_algo":"sha512","os_hash_value":"def","tags":["t"],"os_distro":"x"}"#
    }

    @Test func listsEveryRecordAndIgnoresOtherFiles() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        for index in 0..<600 { try write("id-\(index).json", record("id-\(index)", name: "n\(index)")) }
        try write("id-1.img", "0123456789")
        try write("id-2.img.part", "01234")
        try write("id-3.json.tmp", "{")
        try write(".hidden.json", "{")
        try write("notes.txt", "x")
        let images = try directory.listImages()
        #expect(images.count == 600)
        #expect(Set(images.map(\.id)) == Set((0..<600).map { "id-\($0)" }))
        let first = try #require(images.first { $0.id == "id-7" })
        #expect(first.name == "n7")
        #expect(first.properties == ["os_distro": "x"])
        #expect(first.size == 10)
        #expect(try directory.rawJSON("id-7") == Data(record("id-7", name: "n7").utf8))
    }

    /// A listing that shares another catalog's storage lists the same records; only where the bytes are the
    /// same does a value come from the other catalog (a name spelt another way stays this dump's own).
    /// `readdir`'s entries hold only as much of their 256-byte `d_name` as the name needs: one at the very end
    /// of mapped memory must be read up to its NUL and not a byte further (reading the field whole crashed
    /// `compare` on a 100 000-file dump).
    @Test func anEntryEndingAtTheEndOfMappedMemoryIsReadInPlace() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapping = try #require(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        #expect(mapping != MAP_FAILED)
        defer { munmap(mapping, 2 * page) }
        #expect(mprotect(mapping + page, page, PROT_NONE) == 0)
        let name = Array("0123456.json".utf8)
        let nameOffset = try #require(MemoryLayout<dirent>.offset(of: \.d_name))
        // The entry ends with its name's NUL on the last byte before the inaccessible page (8-byte aligned).
        let length = nameOffset + name.count + 1
        try #require(length % 8 == 0)
        let entry = mapping + page - length
        let nameStart = entry + nameOffset
        name.withUnsafeBytes { nameStart.copyMemory(from: $0.baseAddress!, byteCount: name.count) }
        (nameStart + name.count).storeBytes(of: 0, as: UInt8.self)
        let read = directoryEntryName(entry.bindMemory(to: dirent.self, capacity: 1))
        #expect(read.baseAddress == UnsafeRawPointer(nameStart))
        #expect(Array(read) == name)
    }

    @Test func namesOfEveryLengthAreListed() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let ids = (1...250).map { length in String(repeating: "a", count: length) }
        for id in ids { try write("\(id).json", record(id)) }
        try write(String(repeating: "b", count: 255), "x")
        let images = try directory.listImages()
        #expect(Set(images.map(\.id)) == Set(ids))
        let survey = try directory.survey()
        #expect(survey.records == 250)
        #expect(survey.foreign == [String(repeating: "b", count: 255)])
    }

    @Test func listingSharingAnotherCatalogListsTheSameRecords() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        for index in 0..<600 { try write("id-\(index).json", record("id-\(index)", name: "caf\u{e9}-\(index)")) }
        let own = try directory.listImages()
        var other = own.map { image in
            var image = image
            image.name = "cafe\u{301}-" + image.name!.dropFirst(5)
            return image
        }
        other[3].checksum = "another"
        let shared = try directory.listImages(sharing: SharedRecords(other))
        #expect(shared.count == own.count)
        for (mine, theirs) in zip(own, shared) {
            #expect(mine == theirs)
            #expect(Array(mine.name!.utf8) == Array(theirs.name!.utf8))
            #expect(mine.checksum.map { Array($0.utf8) } == theirs.checksum.map { Array($0.utf8) })
        }
    }

    @Test func requireDataListsIncompleteImagesWithoutData() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try write("complete.json", record("complete"))
        try write("complete.img", "0123456789")
        try write("truncated.json", record("truncated"))
        try write("truncated.img", "01234")
        try write("absent.json", record("absent"))
        let images = Dictionary(uniqueKeysWithValues: try directory.listImages(requireData: true).map { ($0.id, $0) })
        #expect(images["complete"]?.hasData == true)
        #expect(images["truncated"]?.hasData == false)
        #expect(images["absent"]?.hasData == false)
        #expect(images["absent"]?.name == "img", "the record itself is kept")
        #expect(try directory.listImages().allSatisfy(\.hasData), "without requireData the records stand as written")
    }

    @Test(arguments: [
        ("bad.json", "{not json", "not a Glance image record"),
        ("other.json", #"{"id":"someone-else"}"#, "it describes image someone-else"),
        ("typed.json", #"{"id":"typed","size":"big"}"#, "'size' is not an integer"),
    ])
    func unreadableRecordIsFatalAndNamesTheFile(name: String, text: String, message: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        for index in 0..<300 { try write("ok-\(index).json", record("ok-\(index)")) }
        try write(name, text)
        let error = #expect(throws: ReplicatorError.self) { try directory.listImages() }
        #expect(error?.category == .fatal)
        #expect(error?.message.contains(root.appendingPathComponent(name).path) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func missingDirectoryIsFatal() {
        let error = #expect(throws: ReplicatorError.self) { try DumpDirectory(path: "/nonexistent/dump").listImages() }
        #expect(error?.message == "cannot read the dump at /nonexistent/dump: No such file or directory")
        #expect(error?.category == .fatal)
    }

    @Test(arguments: [0, 1, 1_048_575, 1_048_576, 3_000_001])
    func dataIsStreamedFromAnOffset(offset: Int) async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let bytes = (0..<3_000_001).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(bytes).write(to: root.appendingPathComponent("x.img"))
        var received: [UInt8] = []
        var chunks = 0
        for try await chunk in DumpFileBytes(
            path: root.appendingPathComponent("x.img").path,
            offset: Int64(offset),
            size: 3_000_001
        ) {
            received += chunk.readableBytesView
            chunks += 1
            #expect(chunk.readableBytes <= DumpFileBytes.chunkSize)
        }
        #expect(received == Array(bytes[offset...]))
    }

    @Test func dataOfTheWrongSizeOrAbsentIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try write("short.img", "0123")
        let wrong = #expect(throws: ReplicatorError.self) { try directory.openData("short", size: 10) }
        #expect(wrong?.isDataMismatch == true)
        let absent = #expect(throws: ReplicatorError.self) { try directory.openData("absent", size: 10) }
        #expect(absent?.message.contains("--metaonly") == true)
        #expect(absent?.category == .image)
    }
}
