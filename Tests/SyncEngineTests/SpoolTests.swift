import Foundation
import NIOCore
import Testing

@testable import SyncEngine

@Suite("Spool: file, feed and reader")
struct SpoolTests {
    let path = ScratchDirectory.unusedURL("spool").appendingPathComponent("x.part").path

    func bytes(_ count: Int, from start: Int = 0) -> ByteBuffer {
        ByteBuffer(bytes: (start..<(start + count)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    }

    @Test func fileKeepsWhatWasWrittenAcrossOpens() throws {
        do {
            let file = try SpoolFile(path: path)
            try file.write(bytes(1000), at: 0)
            try file.write(bytes(500, from: 1000), at: 1000)
        }
        let again = try SpoolFile(path: path)
        #expect(try again.length() == 1500)
        #expect(try again.read(at: 0, count: 1500) == bytes(1500))
        try again.truncate(to: 0)
        #expect(try again.length() == 0)
        SpoolFile.remove(path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func feedHoldsBackTheFinalBytesUntilVerified() async throws {
        let feed = SpoolFeed(size: 1000, holdBack: 100)
        feed.advance(to: 400)
        #expect(try await feed.releasable(after: 0) == 400)
        feed.advance(to: 1000)
        #expect(try await feed.releasable(after: 400) == 900)
        feed.finish(.verified)
        #expect(try await feed.releasable(after: 900) == 1000)
    }

    @Test func waitingUploadsLearnOfAFailedDownload() async throws {
        let feed = SpoolFeed(size: 1000, holdBack: 100)
        feed.advance(to: 900)
        async let waiting: Result<Int64, any Error> = {
            do { return .success(try await feed.releasable(after: 900)) } catch { return .failure(error) }
        }()
        try await Task.sleep(for: .milliseconds(50))
        feed.finish(.failed(.dataMismatch("md5 differs")))
        let outcome = await waiting
        #expect(throws: ReplicatorError.dataMismatch("md5 differs")) { try outcome.get() }
    }

    @Test func aCancelledUploadStopsWaiting() async throws {
        let feed = SpoolFeed(size: 1000)
        let task = Task { try await feed.releasable(after: 0) }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func readerFollowsTheWriterAndDeliversEveryByteOnce() async throws {
        let size = 3 * SpoolReader.chunkSize + 12345
        let file = try SpoolFile(path: path)
        let feed = SpoolFeed(size: Int64(size))
        let source = bytes(size)
        let reader = SpoolReader(file: file, feed: feed, pace: nil)
        async let received: ByteBuffer = {
            var all = ByteBuffer()
            for try await var chunk in reader { all.writeBuffer(&chunk) }
            return all
        }()
        var offset = 0
        while offset < size {
            let count = min(300_000, size - offset)
            try file.write(source.getSlice(at: offset, length: count)!, at: Int64(offset))
            offset += count
            feed.advance(to: Int64(offset))
            try await Task.sleep(for: .milliseconds(2))
        }
        feed.finish(.verified)
        #expect(try await received == source)
        SpoolFile.remove(path)
    }

    @Test func budgetMakesALargeImageWaitAndStreamsOneThatNeverFits() async throws {
        let budget = SpoolBudget(limit: 100)
        #expect(await budget.reserve(60))
        // Over the limit while another holds space: waits until it is released.
        async let second = budget.reserve(50)
        try await Task.sleep(for: .milliseconds(50))
        await budget.release(60)
        #expect(await second)
        await budget.release(50)
        // Larger than the whole limit with nothing else under way: streamed instead.
        #expect(await budget.reserve(101) == false)
    }
}
