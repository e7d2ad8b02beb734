import CatalogDiff
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A catalog kept as files (`dir:PATH`): `<id>.json` holds an image's Glance v2 JSON exactly as the API
/// returned it, `<id>.img` its data (absent in a `--metaonly` dump).
///
/// The layout is the old glance-replicator's, so its dumps can be read; what this tool adds is the order
/// of writing (data to `<id>.img.part`, verified, renamed; the `.json` last), so a `.json` always means
/// the image was complete when it was written and an `.img` is never a truncated one of ours.
public struct DumpDirectory: Sendable, Hashable, CustomStringConvertible {
    /// The directory, absolute and without a trailing slash.
    public let path: String

    /// Parses `dir:PATH`; a relative PATH is taken from the current directory.
    init(location text: String) throws(ReplicatorError) {
        var path = String(text.dropFirst("dir:".count))
        guard !path.isEmpty else { throw ReplicatorError.invalidLocation(text) }
        if !path.hasPrefix("/") { path = FileManager.default.currentDirectoryPath + "/" + path }
        self.init(path: path)
    }

    public init(path: String) {
        var path = URL(fileURLWithPath: path).standardizedFileURL.path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        self.path = path
    }

    /// `dir:PATH`, as reports and the provenance property name it.
    public var description: String { "dir:\(path)" }

    func jsonPath(_ id: String) -> String { "\(path)/\(id).json" }
    func dataPath(_ id: String) -> String { "\(path)/\(id).img" }
    func partialDataPath(_ id: String) -> String { "\(path)/\(id).img.part" }

    // MARK: reading

    /// Every image the dump holds, decoded from its `<id>.json` files (in name order).
    ///
    /// With `requireData`, an image whose `<id>.img` is absent or not of the recorded size is listed
    /// without data (size and hashes cleared), so a plan sees it as missing and copies it again: that is how
    /// an interrupted dump resumes, and how a truncated `.img` left by the old tool is replaced.
    public func listImages(requireData: Bool = false) throws(ReplicatorError) -> [ImageRecord] {
        let ids = try imageIDs()
        // Reading and decoding are spread over the cores: a large dump is 100 000 small files.
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, ids.count / 256 + 1))
        let slices = (0..<workers).map { worker in
            stride(from: worker, to: ids.count, by: workers).map { ids[$0] }
        }
        var results = [Result<[ImageRecord], ReplicatorError>](repeating: .success([]), count: workers)
        results.withUnsafeMutableBufferPointer { buffer in
            let base = UncheckedSendable(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                base.value[worker] = Result { () throws(ReplicatorError) in
                    try slices[worker].map { id throws(ReplicatorError) in try record(id, requireData: requireData) }
                }
            }
        }
        var images: [ImageRecord] = []
        images.reserveCapacity(ids.count)
        for result in results { images += try result.get() }
        return images
    }

    /// The ids of the `<id>.json` files, sorted.
    func imageIDs() throws(ReplicatorError) -> [String] {
        guard let stream = opendir(path) else {
            throw ReplicatorError.dumpUnreadable(path, reason: String(cString: strerror(errno)))
        }
        defer { closedir(stream) }
        var ids: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".json"), name.count > 5, !name.hasPrefix(".") {
                ids.append(String(name.dropLast(5)))
            }
        }
        return ids.sorted()
    }

    func record(_ id: String, requireData: Bool) throws(ReplicatorError) -> ImageRecord {
        let bytes = try Self.readFile(jsonPath(id))
        var image: ImageRecord
        do {
            image = try JSONDecoder().decode(ImageRecord.self, from: bytes)
        } catch {
            throw ReplicatorError.dumpUnreadable(
                jsonPath(id),
                reason: "not a Glance image record (\(GlanceClient.describe(decoding: error)))"
            )
        }
        guard image.id == id else {
            throw ReplicatorError.dumpUnreadable(jsonPath(id), reason: "it describes image \(image.id)")
        }
        if requireData, image.hasData, Self.fileSize(dataPath(id)) != image.size {
            image.size = nil
            image.checksum = nil
            image.osHashValue = nil
        }
        return image
    }

    /// The exact bytes of an image's `.json`.
    public func rawJSON(_ id: String) throws(ReplicatorError) -> Data {
        try Self.readFile(jsonPath(id))
    }

    /// An image's data as a byte stream, from `offset`; the file must hold `size` bytes.
    func openData(_ id: String, size: Int64, from offset: Int64 = 0) throws(ReplicatorError) -> DumpFileBytes {
        let path = dataPath(id)
        guard let actual = Self.fileSize(path) else {
            throw ReplicatorError.dumpDataMissing(id, path: path)
        }
        guard actual == size else {
            throw ReplicatorError.dataMismatch("\(path) holds \(actual) bytes where the image's record states \(size)")
        }
        return DumpFileBytes(path: path, offset: offset, size: size)
    }

    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// The whole of a small file, with plain `open`/`read` (Foundation's readers cost more than the read).
    static func readFile(_ path: String) throws(ReplicatorError) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReplicatorError.dumpUnreadable(path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReplicatorError.dumpUnreadable(path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            data.append(contentsOf: chunk[0..<count])
        }
        return data
    }
}

/// A pointer handed to `concurrentPerform` workers that each write their own element.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// An image's `.img` file as a stream of 1 MiB chunks, for an upload's body.
struct DumpFileBytes: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    static let chunkSize = 1 << 20

    let path: String
    let offset: Int64
    let size: Int64

    func makeAsyncIterator() -> Iterator {
        Iterator(path: path, position: offset, size: size)
    }

    struct Iterator: AsyncIteratorProtocol {
        let path: String
        var position: Int64
        let size: Int64
        var file: OpenFile?

        init(path: String, position: Int64, size: Int64) {
            self.path = path
            self.position = position
            self.size = size
        }

        mutating func next() async throws -> ByteBuffer? {
            guard position < size else {
                file = nil
                return nil
            }
            if file == nil { file = try OpenFile(path) }
            let wanted = Int(Swift.min(Int64(DumpFileBytes.chunkSize), size - position))
            var buffer = ByteBufferAllocator().buffer(capacity: wanted)
            let fd = file!.descriptor
            let offset = position
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { raw in
                Swift.max(0, pread(fd, raw.baseAddress, wanted, off_t(offset)))
            }
            guard count > 0 else {
                file = nil
                throw ReplicatorError.dataMismatch("\(path) ended after \(position) of \(size) bytes")
            }
            position += Int64(count)
            return buffer
        }
    }
}

/// A file open for reading, closed when the last reference goes (an upload may stop reading early).
final class OpenFile {
    let descriptor: Int32

    init(_ path: String) throws(ReplicatorError) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ReplicatorError.dumpUnreadable(path, reason: String(cString: strerror(errno)))
        }
    }

    deinit {
        close(descriptor)
    }
}
