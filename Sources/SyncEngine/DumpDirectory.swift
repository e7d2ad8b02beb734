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

    /// Every image the dump holds, decoded from its `<id>.json` files (in directory order).
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
                    var scratch = [UInt8]()
                    var records: [ImageRecord] = []
                    records.reserveCapacity(slices[worker].count)
                    for id in slices[worker] {
                        records.append(try record(id, requireData: requireData, scratch: &scratch))
                    }
                    return records
                }
            }
        }
        var images: [ImageRecord] = []
        images.reserveCapacity(ids.count)
        for result in results { images += try result.get() }
        return images
    }

    /// The ids of the `<id>.json` files, in directory order (plans and reports sort by name and id).
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
        return ids
    }

    /// One `<id>.json`, read into `scratch` (a buffer reused from file to file) and parsed directly.
    func record(_ id: String, requireData: Bool, scratch: inout [UInt8]) throws(ReplicatorError) -> ImageRecord {
        let path = jsonPath(id)
        let count = try Self.read(path, into: &scratch)
        let parsed = scratch.withUnsafeBytes { raw in
            Result { () throws(ImageRecordParseError) in
                try ImageRecordParser.parse(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
            }
        }
        var image: ImageRecord
        switch parsed {
        case .success(let record): image = record
        case .failure(let error):
            throw ReplicatorError.dumpUnreadable(path, reason: "not a Glance image record (\(error))")
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

    /// Reads a whole file into `buffer` (grown as needed) and returns its length: plain `open`/`read`/`close`,
    /// since for 100 000 small files Foundation's readers, and even an `fstat`, cost more than the reading.
    /// A read that returns less than it was offered has reached the end of a regular file.
    static func read(_ path: String, into buffer: inout [UInt8]) throws(ReplicatorError) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReplicatorError.dumpUnreadable(path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        if buffer.count < 64 * 1024 { buffer = [UInt8](repeating: 0, count: 64 * 1024) }
        var total = 0
        while true {
            let offered = buffer.count - total
            let count = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress! + total, offered)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReplicatorError.dumpUnreadable(path, reason: String(cString: strerror(errno)))
            }
            total += count
            if count == 0 || count < offered { return total }
            buffer += [UInt8](repeating: 0, count: buffer.count)
        }
    }

    /// The whole of a small file.
    static func readFile(_ path: String) throws(ReplicatorError) -> Data {
        var buffer: [UInt8] = []
        let count = try read(path, into: &buffer)
        return Data(buffer[0..<count])
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
