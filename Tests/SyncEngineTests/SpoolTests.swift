import CatalogDiff
import Foundation
import NIOCore
import Testing

@testable import OpenStackAPI
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

    /// Where an upload at `offset` stands: the end of a memory piece, the limit of a file piece.
    func reach(_ piece: SpoolFeed.Piece, from offset: Int64) -> Int64 {
        switch piece {
        case .memory(let chunk): offset + Int64(chunk.readableBytes)
        case .file(let limit): limit
        case .end: -1
        }
    }

    @Test(arguments: [0, 4096] as [Int64])
    func feedHoldsBackTheFinalBytesUntilVerified(window: Int64) async throws {
        let feed = SpoolFeed(size: 1000, holdBack: 100, window: window)
        let upload = feed.join()
        try await feed.append(bytes(400))
        #expect(reach(try await feed.next(upload, at: 0), from: 0) == 400)
        try await feed.append(bytes(600, from: 400))
        #expect(reach(try await feed.next(upload, at: 400), from: 400) == 900)
        feed.finish(.verified)
        #expect(reach(try await feed.next(upload, at: 900), from: 900) == 1000)
        #expect(try await feed.next(upload, at: 1000) == .end)
    }

    @Test func uploadsInTheWindowTakeTheBytesFromMemory() async throws {
        let feed = SpoolFeed(size: 1000, holdBack: 10, window: 300)
        let upload = feed.join()
        try await feed.append(bytes(200))
        #expect(try await feed.next(upload, at: 0) == .memory(bytes(200)))
        #expect(try await feed.next(upload, at: 150) == .memory(bytes(50, from: 150)))
        try await feed.append(bytes(100, from: 200))
        #expect(try await feed.next(upload, at: 200) == .memory(bytes(100, from: 200)))
    }

    @Test func withoutAWindowEveryUploadReadsTheFile() async throws {
        let feed = SpoolFeed(size: 1000, holdBack: 10, window: 0)
        let upload = feed.join()
        try await feed.append(bytes(200))
        #expect(try await feed.next(upload, at: 0) == .file(upTo: 200))
    }

    @Test func theDownloadWaitsForTheLeadingUploadInTheWindow() async throws {
        let feed = SpoolFeed(size: 10_000, holdBack: 10, window: 300)
        let upload = feed.join()
        try await feed.append(bytes(300))
        let appended = Task { try await feed.append(bytes(100, from: 300)) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await feed.next(upload, at: 0) == .memory(bytes(300)), "nothing was added while it waited")
        // The upload has taken 100 bytes: 200 behind, room for the next chunk.
        _ = try await feed.next(upload, at: 100)
        try await appended.value
        #expect(try await feed.next(upload, at: 300) == .memory(bytes(100, from: 300)))
    }

    @Test func anUploadThatFallsBehindReadsTheFileAndHoldsNothingBack() async throws {
        let feed = SpoolFeed(size: 10_000, holdBack: 10, window: 300)
        let fast = feed.join()
        let slow = feed.join()
        var offset: Int64 = 0
        for _ in 0..<20 {
            try await feed.append(bytes(100, from: Int(offset)))
            offset += 100
            #expect(try await feed.next(fast, at: offset - 100) == .memory(bytes(100, from: Int(offset - 100))))
        }
        // The slow upload never moved: its bytes left memory, the file has them all.
        #expect(try await feed.next(slow, at: 0) == .file(upTo: 2000))
        #expect(try await feed.next(slow, at: 1950) == .memory(bytes(50, from: 1950)), "caught up: memory again")
    }

    @Test func anUploadThatLeavesNoLongerHoldsTheDownload() async throws {
        let feed = SpoolFeed(size: 10_000, holdBack: 10, window: 300)
        let upload = feed.join()
        for start in stride(from: 0, to: 300, by: 100) { try await feed.append(bytes(100, from: start)) }
        let appended = Task { try await feed.append(bytes(100, from: 300)) }
        try await Task.sleep(for: .milliseconds(50))
        feed.leave(upload)
        try await appended.value
        let again = feed.join()
        #expect(try await feed.next(again, at: 0) == .file(upTo: 400), "a new upload starts from the file")
    }

    @Test func waitingUploadsLearnOfAFailedDownload() async throws {
        let feed = SpoolFeed(size: 1000, holdBack: 100, window: 4096)
        let upload = feed.join()
        try await feed.append(bytes(900))
        async let waiting: Result<SpoolFeed.Piece, any Error> = {
            do { return .success(try await feed.next(upload, at: 900)) } catch { return .failure(error) }
        }()
        try await Task.sleep(for: .milliseconds(50))
        feed.finish(.failed(.dataMismatch("md5 differs")))
        let outcome = await waiting
        #expect(throws: ReplicatorError.dataMismatch("md5 differs")) { try outcome.get() }
    }

    @Test func aCancelledUploadOrDownloadStopsWaiting() async throws {
        let feed = SpoolFeed(size: 1000, window: 100_000)
        let upload = feed.join()
        let task = Task { try await feed.next(upload, at: 0) }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }

        let full = SpoolFeed(size: 100_000, holdBack: 10, window: 100)
        _ = full.join()
        try await full.append(bytes(100))
        let download = Task { try await full.append(bytes(100, from: 100)) }
        try await Task.sleep(for: .milliseconds(50))
        download.cancel()
        await #expect(throws: CancellationError.self) { try await download.value }
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
