import CatalogDiff
import Foundation
import Testing

@testable import SyncEngine

/// A dump is listed in chunks of 512 files, each taken by whichever core is free: the result must be the
/// records one reader makes file by file, in directory order, whatever the chunks and the timing.
extension DumpDirectoryTests {
    func numberedRecord(_ index: Int) -> String {
        let id = numberedID(index)
        return #"{"id":"\#(id)","name":"image-\#(index)","status":"active","visibility":"public","#
            + #""size":\#(index + 1),"checksum":"\#(String(format: "%032x", index))","tags":["t\#(index % 3)"],"#
            + #""os_distro":"d\#(index % 5)","owner":"\#(index % 2 == 0 ? "admin" : "someone")"}"#
    }

    func numberedID(_ index: Int) -> String { String(format: "%08x-0000-4000-8000-%012x", index, index * 7) }

    @Test(arguments: [0, 1, 511, 512, 513, 1024, 2049])
    func chunkedListingIsTheFileByFileListing(count: Int) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        for index in 0..<count { try write("\(numberedID(index)).json", numberedRecord(index)) }
        let entries = try directory.jsonEntries()
        #expect(entries.count == count)
        // The definition: each file in directory order, parsed on its own.
        let expected = try (0..<entries.count).map { position in
            let name = String(decoding: entries[position], as: UTF8.self)
            let bytes = try Data(contentsOf: root.appendingPathComponent(name + ".json"))
            return try ImageRecordParser.parse([UInt8](bytes))
        }
        for _ in 0..<3 {
            #expect(try directory.listImages() == expected)
        }
    }

    /// With broken files in several chunks, the error names the first of them in directory order, every time.
    @Test func theFirstBrokenFileInDirectoryOrderIsReported() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let count = 2000
        for index in 0..<count { try write("\(numberedID(index)).json", numberedRecord(index)) }
        let entries = try directory.jsonEntries()
        // Break one file in the second chunk and one in the fourth (directory order, not name order).
        let broken = [700, 1600].map { String(decoding: entries[$0], as: UTF8.self) }
        for name in broken { try write("\(name).json", "{not json") }
        for _ in 0..<5 {
            let error = #expect(throws: ReplicatorError.self) { try directory.listImages() }
            #expect(error?.message.contains(root.appendingPathComponent("\(broken[0]).json").path) == true)
            #expect(error?.message.contains(broken[1]) == false)
        }
    }
}
