/// One of `count` disjoint parts of a catalog, so that several processes (a Kubernetes Indexed Job's pods)
/// can share one estate without coordinating: each image belongs to exactly one shard.
///
/// The shard of an image is a stable hash of its id, FNV-1a 64 over the id's UTF-8 bytes, modulo `count`.
/// FNV-1a is used because it is tiny, has no dependency, and is the same on every platform and in every
/// release of this tool (Swift's `Hasher` is seeded per process, so it cannot be used). Because an image
/// keeps its id across regions, the source image and its target copy always fall into the same shard.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// Zero-based: `0..<count`.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws(InvalidShard) {
        guard count >= 1 else { throw InvalidShard("the shard count must be at least 1, not \(count)") }
        guard (0..<count).contains(index) else {
            throw InvalidShard("the shard index must be 0 to \(count - 1) for \(count) shards, not \(index)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `INDEX/COUNT`, e.g. `0/3`.
    public init(parsing text: String) throws(InvalidShard) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw InvalidShard("'\(text)' is not INDEX/COUNT (e.g. 0/3)")
        }
        try self.init(index: index, count: count)
    }

    /// Whether the image with this id belongs to this shard.
    public func contains(id: String) -> Bool {
        Int(Self.hash(id) % UInt64(count)) == index
    }

    /// FNV-1a 64 of the UTF-8 bytes (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
    public static func hash(_ id: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    public var description: String { "\(index)/\(count)" }
}

/// A shard that cannot exist (count below 1, index out of range) or text that is not `INDEX/COUNT`.
public struct InvalidShard: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
