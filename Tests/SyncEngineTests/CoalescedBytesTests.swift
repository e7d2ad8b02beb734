import NIOCore
import Testing

@testable import SyncEngine

@Suite("CoalescedBytes gathers small chunks into buffers of at most 112 KiB, bytes and errors unchanged")
struct CoalescedBytesTests {
    static let limit = 112 << 10

    /// 1 MiB + 1 byte, so that the last buffer is short.
    static let data: [UInt8] = (0..<((1 << 20) + 1)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }

    static func collect<S: AsyncSequence>(_ sequence: S) async throws -> [ByteBuffer] where S.Element == ByteBuffer {
        var chunks: [ByteBuffer] = []
        for try await chunk in sequence { chunks.append(chunk) }
        return chunks
    }

    @Test(arguments: [1, 1000, 16 << 10, 40 << 10, 64 << 10, 100 << 10, 200 << 10])
    func sameBytesInFewerChunks(chunkSize: Int) async throws {
        let source = ChunkSequence(Self.data, chunkSize: chunkSize)
        let chunks = try await Self.collect(CoalescedBytes(base: source))
        #expect(chunks.flatMap { Array($0.readableBytesView) } == Self.data)
        for chunk in chunks.dropLast() {
            // Never above the limit unless a single chunk from the source was; never a small one but the last.
            #expect(chunk.readableBytes <= Swift.max(Self.limit, chunkSize))
            #expect(chunk.readableBytes * 8 >= Self.limit * 7 || chunk.readableBytes + chunkSize > Self.limit)
        }
        if chunkSize <= 16 << 10 {
            #expect(chunks.count <= Self.data.count / (Self.limit * 7 / 8) + 1)
        }
    }

    @Test func withoutCoalescingEveryChunkPassesAsItIs() async throws {
        let source = ChunkSequence(Self.data, chunkSize: 1000)
        let chunks = try await Self.collect(CoalescedBytes(base: source, coalescing: false))
        #expect(chunks.count == (Self.data.count + 999) / 1000)
        #expect(chunks.flatMap { Array($0.readableBytesView) } == Self.data)
    }

    @Test func anErrorOfTheSourcePassesThrough() async throws {
        let source = ChunkSequence(Array(Self.data.prefix(5000)), chunkSize: 1000, thenThrow: ConnectionReset())
        await #expect(throws: ConnectionReset.self) {
            _ = try await Self.collect(CoalescedBytes(base: source))
        }
    }

    @Test func emptyChunksAndAnEmptySourceGiveNothing() async throws {
        let empty = try await Self.collect(CoalescedBytes(base: ChunkSequence([ByteBuffer(), ByteBuffer()])))
        #expect(empty.isEmpty)
    }
}
