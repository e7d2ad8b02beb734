import CatalogDiff
import Foundation
import NIOCore
import Testing

@testable import SyncEngine

@Suite("Spool: the writer behind the download, and the feed's view of what the file holds")
struct SpoolWriterTests {
    let path = ScratchDirectory.unusedURL("spool-writer").appendingPathComponent("x.part").path

    func bytes(_ count: Int, from start: Int = 0) -> ByteBuffer {
        ByteBuffer(bytes: (start..<(start + count)).map { UInt8(truncatingIfNeeded: ($0 &* 131) ^ ($0 >> 9)) })
    }

    /// Whatever the start (a file left by an earlier run, aligned or not), the chunk sizes and the way of
    /// writing, the file ends up holding every byte, and the feed learns it.
    @Test(
        arguments: [
            (0, 65_536, true), (0, 114_688, true), (1000, 7_777, true), (4096, 300_000, true),
            (700_001, 1_048_576, true), (12_345, 50_000, false),
        ] as [(Int, Int, Bool)]
    )
    func theFileHoldsEveryByteOnceFlushed(start: Int, chunk: Int, directIO: Bool) async throws {
        let size = 3 * SpoolWriter.blockSize + 54_321
        try await writeAndCheck(size: size, from: start, chunk: chunk) { file, feed in
            try SpoolWriter(file: file, from: Int64(start), feed: feed, directIO: directIO)
        }
    }

    /// A file system that refuses a direct write (`EINVAL`: here an offset that is not a multiple of the disk's
    /// block, as a writer aligned to 1 byte makes) has the block written through the page cache, and every
    /// later chunk too: the file holds every byte, and the feed learns it. Both where the refusal comes: at
    /// the first full block, and at the flush of less than one block.
    @Test(arguments: [3 * SpoolWriter.blockSize + 4_321, 100_000])
    func aRefusedDirectWriteFallsBackToThePageCache(size: Int) async throws {
        let start = 1_001
        let writer = try await writeAndCheck(size: size, from: start, chunk: 114_688) { file, feed in
            let writer = try SpoolWriter(file: file, from: Int64(start), feed: feed, alignment: 1)
            // The scratch directory's file system takes O_DIRECT: else this test would not see a refusal.
            #expect(writer.writesDirectly)
            return writer
        }
        #expect(!writer.writesDirectly)
    }

    /// Writes `size` bytes from `start` (the file holding those before) in chunks through the writer `make`
    /// gives, flushes, and checks that the file holds every byte and that the feed knows it.
    @discardableResult
    func writeAndCheck(
        size: Int,
        from start: Int,
        chunk: Int,
        make: (SpoolFile, SpoolFeed) throws -> SpoolWriter
    ) async throws -> SpoolWriter {
        let source = bytes(size)
        let file = try SpoolFile(path: path)
        defer { SpoolFile.remove(path) }
        try file.write(source.getSlice(at: 0, length: start)!, at: 0)
        let feed = SpoolFeed(size: Int64(size), written: Int64(start))
        let writer = try make(file, feed)
        var offset = start
        while offset < size {
            let count = min(chunk, size - offset)
            try await writer.write(source.getSlice(at: offset, length: count)!)
            try await feed.append(source.getSlice(at: offset, length: count)!, inFile: false)
            offset += count
        }
        #expect(writer.end == Int64(size))
        try await writer.flush()
        await writer.close()
        #expect(try file.length() == Int64(size))
        #expect(try file.read(at: 0, count: size) == source)
        // Every byte is released to an upload from the file once verified: the feed knows the file holds them.
        feed.finish(.verified)
        let upload = feed.join()
        #expect(try await feed.next(upload, at: 0) == .file(upTo: Int64(size)))
        return writer
    }

    /// A flush in the middle (a failed download keeps what it read) leaves a file that another writer continues.
    @Test func aFlushedFileIsContinuedByTheNextWriter() async throws {
        let size = 5 * SpoolWriter.blockSize + 9_999
        let source = bytes(size)
        let file = try SpoolFile(path: path)
        defer { SpoolFile.remove(path) }
        // Past two blocks and into a third, unaligned.
        let cut = 2 * SpoolWriter.blockSize + 88_001
        let first = try SpoolWriter(file: file, from: 0, feed: SpoolFeed(size: Int64(size)))
        try await first.write(source.getSlice(at: 0, length: cut)!)
        try await first.flush()
        await first.close()
        #expect(try file.length() == Int64(cut))
        let second = try SpoolWriter(
            file: file,
            from: Int64(cut),
            feed: SpoolFeed(size: Int64(size), written: Int64(cut))
        )
        try await second.write(source.getSlice(at: cut, length: size - cut)!)
        try await second.flush()
        await second.close()
        #expect(try file.read(at: 0, count: size) == source)
    }

    /// Bytes the file does not hold yet are never read from it: an upload behind the memory window waits for
    /// the writer, and what the file lacks stays in memory.
    @Test func uploadsReadTheFileOnlyAsFarAsItHoldsTheBytes() async throws {
        let feed = SpoolFeed(size: 10_000, holdBack: 10, window: 0)
        let upload = feed.join()
        try await feed.append(bytes(300), inFile: false)
        async let waiting = feed.next(upload, at: 0)
        try await Task.sleep(for: .milliseconds(50))
        feed.stored(upTo: 200)
        #expect(try await waiting == .file(upTo: 200))
        #expect(try await feed.next(upload, at: 150) == .file(upTo: 200))

        let windowed = SpoolFeed(size: 10_000, holdBack: 10, window: 100)
        for start in stride(from: 0, to: 500, by: 100) {
            try await windowed.append(bytes(100, from: start), inFile: false)
        }
        // The file holds none of it: all 500 bytes stay in memory, past the window of 100.
        let early = windowed.join()
        #expect(try await windowed.next(early, at: 0) == .memory(bytes(100)))
        windowed.leave(early)
        windowed.stored(upTo: 500)
        try await windowed.append(bytes(100, from: 500), inFile: false)
        let late = windowed.join()
        #expect(try await windowed.next(late, at: 0) == .file(upTo: 500), "what the file holds leaves memory")
    }

    /// Two uploads, one taking its time, behind a download written by `SpoolWriter` as `SpoolFill` does: each
    /// receives every byte once, in order, from memory or the file, whatever the window.
    @Test(arguments: [0, 200_000, SpoolFeed.defaultWindow] as [Int64])
    func readersFollowTheWriterAndDeliverEveryByteOnce(window: Int64) async throws {
        let size = 5 * SpoolWriter.blockSize + 12_345
        let file = try SpoolFile(path: path)
        defer { SpoolFile.remove(path) }
        let feed = SpoolFeed(size: Int64(size), window: window)
        let source = bytes(size)
        let readers = [feed.join(), feed.join()].map { SpoolReader(file: file, feed: feed, upload: $0, pace: nil) }
        async let fast: ByteBuffer = {
            var all = ByteBuffer()
            for try await var chunk in readers[0] { all.writeBuffer(&chunk) }
            return all
        }()
        async let slow: ByteBuffer = {
            var all = ByteBuffer()
            for try await var chunk in readers[1] {
                all.writeBuffer(&chunk)
                try await Task.sleep(for: .milliseconds(2))
            }
            return all
        }()
        let writer = try SpoolWriter(file: file, from: 0, feed: feed)
        var offset = 0
        while offset < size {
            let count = min(114_688, size - offset)
            let chunk = source.getSlice(at: offset, length: count)!
            try await writer.write(chunk)
            try await feed.append(chunk, inFile: false)
            offset += count
        }
        try await writer.flush()
        await writer.close()
        feed.finish(.verified)
        #expect(try await fast == source)
        #expect(try await slow == source)
    }
}
