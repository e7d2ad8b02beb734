import CatalogDiff
import NIOCore

/// What the bytes of an image must be, taken from the source's record: size, md5 and multihash.
public struct ExpectedData: Sendable, Hashable {
    public var size: Int64
    public var md5: String?
    public var hashAlgorithm: String?
    /// `os_hash_value`. Not named `hashValue`: that is `Hashable`'s requirement, and a stored property of that
    /// name breaks the synthesized conformance in whole-module (release) builds.
    public var multihashValue: String?

    public init(size: Int64, md5: String?, hashAlgorithm: String?, hashValue: String?) {
        self.size = size
        self.md5 = md5?.lowercased()
        self.hashAlgorithm = hashAlgorithm
        self.multihashValue = hashValue?.lowercased()
    }

    public init(_ image: ImageRecord) {
        self.init(
            size: image.size ?? 0,
            md5: image.checksum,
            hashAlgorithm: image.osHashAlgo,
            hashValue: image.osHashValue
        )
    }
}

/// Digests of a byte stream in progress, checked against `ExpectedData` at its end.
///
/// md5 and the multihash (sha512, usually) are computed on two cores: one core does both at about the speed
/// of a fast link, which would make hashing the bottleneck of a copy. Chunks are hashed in batches of
/// `batchSize` bytes, md5 on a child task for each batch: a task per chunk (16–64 KiB from the socket) woke
/// another thread tens of thousands of times per GiB, which cost more CPU than the hashing's margin. A batch
/// holds references to chunks the caller keeps anyway (no copy); `finish` hashes what is left.
final class DataVerifier {
    /// Bytes gathered before they are hashed on two tasks.
    static let batchSize = 1 << 20

    let expected: ExpectedData
    private let md5: StreamDigest?
    private let multihash: StreamDigest?
    private(set) var count: Int64 = 0
    /// Counted but not hashed yet (less than `batchSize` bytes).
    private var batch: [ByteBuffer] = []
    private var batchBytes = 0

    init(expected: ExpectedData) throws(ReplicatorError) {
        self.expected = expected
        md5 = expected.md5 == nil ? nil : StreamDigest(algorithm: "md5")
        if let algorithm = expected.hashAlgorithm, expected.multihashValue != nil {
            guard let digest = StreamDigest(algorithm: algorithm) else {
                throw .dataMismatch("os_hash_algo '\(algorithm)' is not supported by this machine's OpenSSL")
            }
            multihash = digest
        } else {
            multihash = nil
        }
        if md5 == nil && multihash == nil {
            throw .dataMismatch("the source records neither checksum nor os_hash_value: the copy cannot be verified")
        }
    }

    func update(_ buffer: ByteBuffer) throws(ReplicatorError) {
        guard try gather(buffer) else { return }
        hashBatch()
    }

    /// `update`, with md5 computed on a child task while this one computes the multihash, per batch.
    func update(_ buffer: ByteBuffer) async throws(ReplicatorError) {
        guard try gather(buffer) else { return }
        let buffers = takeBatch()
        guard let md5, let multihash else {
            for buffer in buffers {
                md5?.update(buffer)
                multihash?.update(buffer)
            }
            return
        }
        let box = DigestBox(md5)
        async let md5Done: Void = box.digest.update(buffers)
        multihash.update(buffers)
        await md5Done
    }

    /// Counts the buffer and adds it to the batch; true when the batch is full.
    private func gather(_ buffer: ByteBuffer) throws(ReplicatorError) -> Bool {
        try count(buffer)
        guard buffer.readableBytes > 0 else { return false }
        batch.append(buffer)
        batchBytes += buffer.readableBytes
        return batchBytes >= Self.batchSize
    }

    private func takeBatch() -> [ByteBuffer] {
        defer {
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        return batch
    }

    /// Hashes the batch on this task.
    private func hashBatch() {
        let buffers = takeBatch()
        md5?.update(buffers)
        multihash?.update(buffers)
    }

    private func count(_ buffer: ByteBuffer) throws(ReplicatorError) {
        count += Int64(buffer.readableBytes)
        if count > expected.size {
            throw .dataMismatch("the source sent more than the \(expected.size) bytes its record states")
        }
    }

    /// Throws unless every byte arrived and every recorded hash matches.
    func finish() throws(ReplicatorError) {
        hashBatch()
        guard count == expected.size else {
            throw .dataMismatch("the source sent \(count) of \(expected.size) bytes")
        }
        if let md5, let want = expected.md5 {
            let got = md5.finalize()
            guard got == want else { throw .dataMismatch("md5 of the data read is \(got), the source records \(want)") }
        }
        if let multihash, let want = expected.multihashValue {
            let got = multihash.finalize()
            guard got == want else {
                throw .dataMismatch(
                    "\(multihash.algorithm) of the data read is \(got.prefix(16))..., the source records "
                        + "\(want.prefix(16))..."
                )
            }
        }
    }
}

/// Hands a digest to the child task of `DataVerifier.update`. `@unchecked Sendable` is safe because the digest
/// is used by exactly one task at a time: the parent awaits the child before it touches the digest again.
private final class DigestBox: @unchecked Sendable {
    let digest: StreamDigest

    init(_ digest: StreamDigest) {
        self.digest = digest
    }
}
