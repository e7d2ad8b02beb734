import CLibCrypto
import Foundation
import NIOCore

/// An incremental message digest over OpenSSL's EVP interface (libcrypto from libssl-dev).
///
/// Glance records md5 in `checksum` and a multihash (`os_hash_algo`, sha512 by default) computed with
/// Python's hashlib; this type takes hashlib's algorithm names. A class because it owns an `EVP_MD_CTX`;
/// it is used by one task at a time and so is not `Sendable`.
public final class StreamDigest {
    public let algorithm: String
    private let context: OpaquePointer

    /// Creates a digest for a hashlib algorithm name (`md5`, `sha256`, `sha512`, `sha3_256`, `blake2b`...),
    /// or returns `nil` when OpenSSL does not provide it.
    public init?(algorithm: String) {
        guard let md = EVP_get_digestbyname(Self.openSSLName(algorithm)), let context = EVP_MD_CTX_new() else {
            return nil
        }
        guard EVP_DigestInit_ex(context, md, nil) == 1 else {
            EVP_MD_CTX_free(context)
            return nil
        }
        self.algorithm = algorithm
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    public func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            _ = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
        }
    }

    public func update(_ buffers: [ByteBuffer]) {
        for buffer in buffers { update(buffer) }
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            _ = EVP_DigestUpdate(context, raw.baseAddress, raw.count)
        }
    }

    /// The lower-case hex digest, as Glance reports it. Call once.
    public func finalize() -> String {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = EVP_DigestFinal_ex(context, &output, &length)
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(Int(length) * 2)
        for byte in output.prefix(Int(length)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// hashlib's names to OpenSSL's: `sha3_256` is `SHA3-256`, hashlib's `blake2b` is `BLAKE2b512`.
    static func openSSLName(_ hashlibName: String) -> String {
        switch hashlibName.lowercased() {
        case "blake2b": "BLAKE2b512"
        case "blake2s": "BLAKE2s256"
        case let name: name.replacingOccurrences(of: "_", with: "-")
        }
    }
}
