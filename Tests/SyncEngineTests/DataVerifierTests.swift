import CatalogDiff
import NIOCore
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

/// `DataVerifier` over many batches: md5 runs on a child task per batch beside the multihash, and each must still
/// see every byte once, in order, whatever the chunks.
@Suite("DataVerifier: md5 and the multihash, batch after batch")
struct DataVerifierTests {
    /// Sizes around the batch (1 MiB) and chunk sizes that do and do not divide it.
    static let shapes: [(size: Int, chunk: Int)] = [
        (0, 4096), (1, 4096), (DataVerifier.batchSize - 1, 65536), (DataVerifier.batchSize, 65536),
        (DataVerifier.batchSize + 1, 114_688), (3 * DataVerifier.batchSize + 12_345, 114_688),
        (5 * DataVerifier.batchSize, 1_000_003),
    ]

    static func bytes(_ count: Int) -> [UInt8] {
        var state: UInt32 = 2_463_534_242
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// md5 and the multihash of `data` in one piece, by the digests `StreamDigestTests` checks against known
    /// vectors.
    static func expected(_ data: [UInt8], md5: Bool = true, multihash: Bool = true) -> ExpectedData {
        func hex(_ algorithm: String) -> String {
            let digest = StreamDigest(algorithm: algorithm)!
            digest.update(ByteBuffer(bytes: data))
            return digest.finalize()
        }
        return ExpectedData(
            size: Int64(data.count),
            md5: md5 ? hex("md5") : nil,
            hashAlgorithm: multihash ? "sha512" : nil,
            hashValue: multihash ? hex("sha512") : nil
        )
    }

    static func verify(_ data: [UInt8], chunk: Int, against expected: ExpectedData) async throws(ReplicatorError) {
        let verifier = try DataVerifier(expected: expected)
        for start in stride(from: 0, to: data.count, by: chunk) {
            try await verifier.update(ByteBuffer(bytes: data[start..<min(start + chunk, data.count)]))
        }
        try verifier.finish()
    }

    @Test(arguments: shapes)
    func acceptsTheBytesTheRecordStates(size: Int, chunk: Int) async throws {
        let data = Self.bytes(size)
        try await Self.verify(data, chunk: chunk, against: Self.expected(data))
        try await Self.verify(data, chunk: chunk, against: Self.expected(data, md5: false))
        try await Self.verify(data, chunk: chunk, against: Self.expected(data, multihash: false))
    }

    /// One byte changed in a late batch is caught by whichever hash the record has.
    @Test(arguments: [(true, false), (false, true), (true, true)])
    func catchesOneChangedByteInALateBatch(md5: Bool, multihash: Bool) async throws {
        let data = Self.bytes(3 * DataVerifier.batchSize + 777)
        let expected = Self.expected(data, md5: md5, multihash: multihash)
        var changed = data
        changed[2 * DataVerifier.batchSize + 5] ^= 0x01
        await #expect(throws: ReplicatorError.self) {
            try await Self.verify(changed, chunk: 114_688, against: expected)
        }
        try await Self.verify(data, chunk: 114_688, against: expected)
    }
}
