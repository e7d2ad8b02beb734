import CatalogDiff
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

/// A download stand-in: the given chunks, then optionally an error instead of the end.
struct ChunkSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    var chunks: [ByteBuffer]
    var failure: (any Error)?

    init(_ chunks: [ByteBuffer], thenThrow failure: (any Error)? = nil) {
        self.chunks = chunks
        self.failure = failure
    }

    /// `bytes` cut into chunks of `size` bytes (the last one shorter).
    init(_ bytes: [UInt8], chunkSize size: Int, thenThrow failure: (any Error)? = nil) {
        let chunks = stride(from: 0, to: bytes.count, by: size).map {
            ByteBuffer(bytes: bytes[$0..<Swift.min($0 + size, bytes.count)])
        }
        self.init(chunks, thenThrow: failure)
    }

    struct Iterator: AsyncIteratorProtocol {
        var remaining: IndexingIterator<[ByteBuffer]>
        var failure: (any Error)?

        mutating func next() async throws -> ByteBuffer? {
            if let chunk = remaining.next() { return chunk }
            if let failure {
                self.failure = nil
                throw failure
            }
            return nil
        }
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(remaining: chunks.makeIterator(), failure: failure)
    }
}

struct ConnectionReset: Error, CustomStringConvertible {
    var description: String { "connection reset by peer" }
}

/// What a consumer (the upload) was given before the stream ended or threw.
struct Consumed {
    var bytes: [UInt8] = []
    var chunks = 0
    var error: (any Error)?
}

@Suite("VerifyingByteStream holds back the last chunk until the data is verified")
struct VerifyingByteStreamTests {
    /// 10 000 bytes, cut by the tests into chunks of 1 000.
    static let data: [UInt8] = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    /// The real digests of `data`, computed with StreamDigest itself (checked against hashlib vectors in
    /// StreamDigestTests).
    static func digest(_ algorithm: String, of bytes: [UInt8] = data) -> String {
        let digest = StreamDigest(algorithm: algorithm)!
        digest.update(bytes)
        return digest.finalize()
    }

    static func correct(size: Int64 = Int64(data.count)) -> ExpectedData {
        ExpectedData(size: size, md5: digest("md5"), hashAlgorithm: "sha512", hashValue: digest("sha512"))
    }

    static func consume(
        _ base: ChunkSequence,
        expected: ExpectedData,
        source: String = "http://source.example:9292",
        onChunk: @escaping @Sendable (Int) -> Void = { _ in }
    ) async -> Consumed {
        let stream = VerifyingByteStream(base: base, expected: expected, source: source, onChunk: onChunk)
        var consumed = Consumed()
        do {
            for try await chunk in stream {
                consumed.bytes += chunk.readableBytesView
                consumed.chunks += 1
            }
        } catch {
            consumed.error = error
        }
        return consumed
    }

    @Test func correctDataPassesThroughUnchanged() async {
        let reported = NIOLockedValueBox<[Int]>([])
        let consumed = await Self.consume(
            ChunkSequence(Self.data, chunkSize: 1000),
            expected: Self.correct(),
            onChunk: { size in reported.withLockedValue { $0.append(size) } }
        )
        #expect(consumed.error == nil)
        #expect(consumed.bytes == Self.data)
        #expect(consumed.chunks == 10)
        #expect(reported.withLockedValue { $0 } == Array(repeating: 1000, count: 10))
    }

    @Test func upperCaseRecordedHashesAreAccepted() async {
        let expected = ExpectedData(
            size: Int64(Self.data.count),
            md5: Self.digest("md5").uppercased(),
            hashAlgorithm: "sha512",
            hashValue: Self.digest("sha512").uppercased()
        )
        let consumed = await Self.consume(ChunkSequence(Self.data, chunkSize: 4096), expected: expected)
        #expect(consumed.error == nil)
        #expect(consumed.bytes == Self.data)
    }

    @Test func emptyChunksAreSkipped() async {
        let chunks = [ByteBuffer(), ByteBuffer(string: "ab"), ByteBuffer(), ByteBuffer(string: "c"), ByteBuffer()]
        let bytes = Array("abc".utf8)
        let expected = ExpectedData(size: 3, md5: Self.digest("md5", of: bytes), hashAlgorithm: nil, hashValue: nil)
        let consumed = await Self.consume(ChunkSequence(chunks), expected: expected)
        #expect(consumed.error == nil)
        #expect(consumed.bytes == bytes)
        #expect(consumed.chunks == 2)
    }

    @Test func emptyImageVerifies() async {
        let expected = ExpectedData(
            size: 0,
            md5: "d41d8cd98f00b204e9800998ecf8427e",
            hashAlgorithm: nil,
            hashValue: nil
        )
        let consumed = await Self.consume(ChunkSequence([]), expected: expected)
        #expect(consumed.error == nil)
        #expect(consumed.chunks == 0)
    }

    @Test func eitherHashAloneIsEnough() async {
        let md5Only = ExpectedData(size: 10_000, md5: Self.digest("md5"), hashAlgorithm: nil, hashValue: nil)
        let multihashOnly = ExpectedData(
            size: 10_000,
            md5: nil,
            hashAlgorithm: "sha3_256",
            hashValue: Self.digest("sha3_256")
        )
        for expected in [md5Only, multihashOnly] {
            let consumed = await Self.consume(ChunkSequence(Self.data, chunkSize: 999), expected: expected)
            #expect(consumed.error == nil)
            #expect(consumed.bytes == Self.data)
        }
    }

    /// Wrong md5, wrong multihash, or both: the error is a data mismatch and the last chunk never leaves.
    @Test(arguments: ["md5", "sha512", "both"])
    func wrongHashThrowsBeforeTheLastChunk(_ wrong: String) async throws {
        var expected = Self.correct()
        let bogusMD5 = String(repeating: "0", count: 32)
        let bogusSHA512 = String(repeating: "f", count: 128)
        if wrong == "md5" || wrong == "both" { expected.md5 = bogusMD5 }
        if wrong == "sha512" || wrong == "both" { expected.multihashValue = bogusSHA512 }

        let consumed = await Self.consume(ChunkSequence(Self.data, chunkSize: 1000), expected: expected)
        let error = try #require(consumed.error as? ReplicatorError)
        #expect(error.category == .image)
        #expect(!error.isTransient)
        #expect(consumed.bytes.count < Self.data.count)
        #expect(consumed.bytes.count == 9000)
        #expect(consumed.bytes == Array(Self.data.prefix(9000)))
        if wrong == "sha512" {
            #expect(error.message.contains("sha512 of the data read"))
        } else {
            #expect(error.message.contains("md5 of the data read is \(Self.digest("md5"))"))
            #expect(error.message.contains(bogusMD5))
        }
    }

    @Test func aSingleChunkImageWithAWrongHashYieldsNothing() async throws {
        var expected = Self.correct()
        expected.md5 = String(repeating: "a", count: 32)
        let consumed = await Self.consume(ChunkSequence([ByteBuffer(bytes: Self.data)]), expected: expected)
        #expect(consumed.error is ReplicatorError)
        #expect(consumed.bytes.isEmpty)
    }

    @Test func truncatedDataThrows() async throws {
        // The source ends cleanly after 9 000 of the 10 000 bytes its record states.
        let consumed = await Self.consume(
            ChunkSequence(Array(Self.data.prefix(9000)), chunkSize: 1000),
            expected: Self.correct()
        )
        let error = try #require(consumed.error as? ReplicatorError)
        #expect(error.category == .image)
        #expect(error.message == "the source sent 9000 of 10000 bytes")
        #expect(consumed.bytes.count == 8000)
    }

    @Test func moreBytesThanTheSizeThrows() async throws {
        let consumed = await Self.consume(
            ChunkSequence(Self.data + [1, 2, 3], chunkSize: 1000),
            expected: Self.correct()
        )
        let error = try #require(consumed.error as? ReplicatorError)
        #expect(error.category == .image)
        #expect(error.message.contains("more than the 10000 bytes"))
        #expect(consumed.bytes.count < Self.data.count)
    }

    @Test func aBrokenDownloadIsReportedAgainstTheSource() async throws {
        let source = "http://source.example:9292"
        let consumed = await Self.consume(
            ChunkSequence(Array(Self.data.prefix(3000)), chunkSize: 1000, thenThrow: ConnectionReset()),
            expected: Self.correct(),
            source: source
        )
        let error = try #require(consumed.error as? ReplicatorError)
        #expect(error.category == .fatal)
        #expect(error.isTransient)
        #expect(error.message.contains(source))
        #expect(error.message.contains("after 3000 of 10000 bytes"))
        #expect(error.message.contains("connection reset by peer"))
        #expect(consumed.bytes.count == 2000)
    }

    @Test func aReplicatorErrorFromTheSourcePassesUnchanged() async throws {
        let original = ReplicatorError.dataMismatch("staged failure")
        let consumed = await Self.consume(
            ChunkSequence(Self.data, chunkSize: 1000, thenThrow: original),
            expected: Self.correct()
        )
        #expect(consumed.error as? ReplicatorError == original)
    }

    @Test func cancellationIsNotDressedUpAsAnError() async {
        let consumed = await Self.consume(
            ChunkSequence(Self.data, chunkSize: 1000, thenThrow: CancellationError()),
            expected: Self.correct()
        )
        #expect(consumed.error is CancellationError)
    }

    @Test func noRecordedHashMeansNoCopy() async throws {
        let unverifiable = [
            ExpectedData(size: 10_000, md5: nil, hashAlgorithm: nil, hashValue: nil),
            // An algorithm without a value verifies nothing either.
            ExpectedData(size: 10_000, md5: nil, hashAlgorithm: "sha512", hashValue: nil),
        ]
        for expected in unverifiable {
            let consumed = await Self.consume(ChunkSequence(Self.data, chunkSize: 1000), expected: expected)
            let error = try #require(consumed.error as? ReplicatorError)
            #expect(error.category == .image)
            #expect(error.message.contains("cannot be verified"))
            #expect(consumed.bytes.isEmpty)
        }
    }

    @Test func anUnsupportedAlgorithmIsRefusedUpFront() async throws {
        let expected = ExpectedData(size: 10_000, md5: Self.digest("md5"), hashAlgorithm: "whirlpool9", hashValue: "00")
        let consumed = await Self.consume(ChunkSequence(Self.data, chunkSize: 1000), expected: expected)
        let error = try #require(consumed.error as? ReplicatorError)
        #expect(error.message.contains("'whirlpool9' is not supported"))
        #expect(consumed.bytes.isEmpty)
    }
}
