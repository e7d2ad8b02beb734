import CatalogDiff
import NIOCore
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

/// A known digest, as Python's `hashlib.new(algorithm, input).hexdigest()` gives it (the values Glance stores).
struct DigestVector: Sendable, CustomTestStringConvertible {
    var algorithm: String
    var input: String
    var hex: String

    var testDescription: String { "\(algorithm)(\"\(input)\")" }
}

@Suite("StreamDigest over OpenSSL")
struct StreamDigestTests {
    static let vectors: [DigestVector] = [
        DigestVector(algorithm: "md5", input: "", hex: "d41d8cd98f00b204e9800998ecf8427e"),
        DigestVector(algorithm: "md5", input: "abc", hex: "900150983cd24fb0d6963f7d28e17f72"),
        DigestVector(
            algorithm: "sha256",
            input: "",
            hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ),
        DigestVector(
            algorithm: "sha256",
            input: "abc",
            hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ),
        DigestVector(
            algorithm: "sha512",
            input: "",
            hex: "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        ),
        DigestVector(
            algorithm: "sha512",
            input: "abc",
            hex: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        ),
        DigestVector(
            algorithm: "sha384",
            input: "abc",
            hex: "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
                + "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        ),
        DigestVector(
            algorithm: "sha3_256",
            input: "",
            hex: "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
        ),
        DigestVector(
            algorithm: "sha3_256",
            input: "abc",
            hex: "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
        ),
        DigestVector(
            algorithm: "sha3_512",
            input: "abc",
            hex: "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
                + "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0"
        ),
        DigestVector(
            algorithm: "blake2b",
            input: "",
            hex: "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
                + "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce"
        ),
        DigestVector(
            algorithm: "blake2b",
            input: "abc",
            hex: "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        ),
        DigestVector(
            algorithm: "blake2s",
            input: "abc",
            hex: "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"
        ),
    ]

    @Test(arguments: vectors)
    func knownVectorFromByteBuffer(_ vector: DigestVector) throws {
        let digest = try #require(StreamDigest(algorithm: vector.algorithm))
        #expect(digest.algorithm == vector.algorithm)
        digest.update(ByteBuffer(string: vector.input))
        #expect(digest.finalize() == vector.hex)
    }

    @Test(arguments: vectors)
    func knownVectorFromBytes(_ vector: DigestVector) throws {
        let digest = try #require(StreamDigest(algorithm: vector.algorithm))
        digest.update(Array(vector.input.utf8))
        #expect(digest.finalize() == vector.hex)
    }

    @Test func algorithmNamesAreCaseInsensitive() throws {
        let digest = try #require(StreamDigest(algorithm: "SHA512"))
        digest.update(ByteBuffer(string: "abc"))
        #expect(digest.finalize().hasPrefix("ddaf35a193617aba"))
    }

    @Test(arguments: ["nope", "", "sha513", "md5sum", "blake2x"])
    func unknownAlgorithmIsNil(_ name: String) {
        #expect(StreamDigest(algorithm: name) == nil)
    }

    @Test(arguments: [
        ("sha3_256", "sha3-256"), ("sha512", "sha512"), ("blake2b", "BLAKE2b512"), ("blake2s", "BLAKE2s256"),
        ("BLAKE2B", "BLAKE2b512"),
    ])
    func hashlibNamesMapToOpenSSLNames(_ hashlib: String, _ openSSL: String) {
        #expect(StreamDigest.openSSLName(hashlib) == openSSL)
    }

    /// 10 KiB of every byte value, whose digests hashlib gives as below.
    static let pattern: [UInt8] = Array((0..<40).map { _ in (0...255).map(UInt8.init) }.joined())

    @Test(arguments: [1, 7, 64, 1000, 4096, 10_240])
    func chunkingDoesNotChangeTheDigest(_ chunkSize: Int) throws {
        let whole = try #require(StreamDigest(algorithm: "sha512"))
        whole.update(ByteBuffer(bytes: Self.pattern))
        let expected = whole.finalize()
        #expect(
            expected == "ad3a2775dab72f905f9ec1b53483b2df6c42abf50f776d732d309245149779ee"
                + "011af252635b5259c99a1e7836488fe5b4c70a6a477e8ae7516139e6386364b6"
        )

        let md5 = try #require(StreamDigest(algorithm: "md5"))
        let sha512 = try #require(StreamDigest(algorithm: "sha512"))
        var chunks = 0
        for start in stride(from: 0, to: Self.pattern.count, by: chunkSize) {
            let chunk = ByteBuffer(bytes: Self.pattern[start..<min(start + chunkSize, Self.pattern.count)])
            md5.update(chunk)
            sha512.update(chunk)
            chunks += 1
        }
        #expect(chunks == (Self.pattern.count + chunkSize - 1) / chunkSize)
        #expect(sha512.finalize() == expected)
        #expect(md5.finalize() == "c3cd26e07e555c0116db237fbc06d99c")
    }

    @Test func onlyTheReadableBytesOfABufferAreHashed() throws {
        var buffer = ByteBuffer(string: "xxabc")
        buffer.moveReaderIndex(forwardBy: 2)
        let digest = try #require(StreamDigest(algorithm: "md5"))
        digest.update(buffer)
        #expect(digest.finalize() == "900150983cd24fb0d6963f7d28e17f72")
    }
}
