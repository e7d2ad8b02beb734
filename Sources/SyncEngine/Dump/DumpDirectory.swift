import CatalogDiff
import Foundation
import NIOCore
import Synchronization

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

    // Ids are UUIDs once planned (`ImageRecord.invalidity`); the name is a path segment all the same, so no
    // id can name a file outside the directory.
    func jsonPath(_ id: String) -> String { "\(path)/\(ImageRecord.pathSegment(id)).json" }
    func dataPath(_ id: String) -> String { "\(path)/\(ImageRecord.pathSegment(id)).img" }
    func partialDataPath(_ id: String) -> String { "\(path)/\(ImageRecord.pathSegment(id)).img.part" }

    // MARK: reading

    /// Every image the dump holds, decoded from its `<id>.json` files (in directory order).
    ///
    /// With `requireData`, an image whose `<id>.img` is absent or not of the recorded size is listed
    /// without data (size and hashes cleared), so a plan sees it as missing and copies it again: that is how
    /// an interrupted dump resumes, and how a truncated `.img` left by the old tool is replaced.
    ///
    /// With `shared` (the other catalog of a diff), each record takes over the storage of the values it
    /// shares byte for byte with the record of the same id there, as it is read (`SharedRecords`). `entries`
    /// are the `.json` files' names when the directory has just been read (`survey`): reading 100 000
    /// entries again costs about a tenth of a second.
    public func listImages(
        requireData: Bool = false,
        sharing shared: SharedRecords? = nil
    ) throws(ReplicatorError) -> [ImageRecord] {
        try listImages(requireData: requireData, sharing: shared, entries: nil)
    }

    func listImages(
        requireData: Bool = false,
        sharing shared: SharedRecords? = nil,
        entries known: DumpEntries?
    ) throws(ReplicatorError) -> [ImageRecord] {
        let entries: DumpEntries
        if let known { entries = known } else { entries = try jsonEntries() }
        // Files are opened relative to the directory: the kernel then never walks the full path again.
        let directoryFD = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else {
            throw ReplicatorError.dumpUnreadable(path, reason: String(cString: strerror(errno)))
        }
        defer { close(directoryFD) }
        let count = entries.count
        // Reading and parsing are spread over the cores, each record written in place into the result: a
        // large dump is 100 000 small files, and copying records costs as much as parsing them. The files
        // are taken in chunks, each by whichever worker is free (a fixed half per core left one core idle
        // whenever the other was slowed by other work on the machine); a worker keeps its buffers and
        // interned values from one chunk to the next.
        let chunkSize = 512
        let chunks = (count + chunkSize - 1) / chunkSize
        let workers = Swift.max(1, Swift.min(ProcessInfo.processInfo.activeProcessorCount, chunks))
        // Per chunk: its first failure (the chunk stops there; the others go on, so the error reported is
        // the first in directory order whatever the timing) and the records it made.
        var failures = [ReplicatorError?](repeating: nil, count: chunks)
        var filled = [Int](repeating: 0, count: chunks)
        let nextChunk = Atomic<Int>(0)
        let images = [ImageRecord](unsafeUninitializedCapacity: count) { buffer, initialized in
            let output = UncheckedSendable(buffer.baseAddress!)
            failures.withUnsafeMutableBufferPointer { failureSlots in
                filled.withUnsafeMutableBufferPointer { filledSlots in
                    let failureOut = UncheckedSendable(failureSlots.baseAddress!)
                    let filledOut = UncheckedSendable(filledSlots.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: workers) { _ in
                        var reader = RecordReader(directory: self, descriptor: directoryFD, requireData: requireData)
                        while case let chunk = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue, chunk < chunks {
                            for index in (chunk * chunkSize)..<Swift.min(count, (chunk + 1) * chunkSize) {
                                do throws(ReplicatorError) {
                                    let record = try reader.record(entries[index])
                                    (output.value + index).initialize(to: shared?.sharing(record) ?? record)
                                    filledOut.value[chunk] += 1
                                } catch {
                                    failureOut.value[chunk] = error
                                    break
                                }
                            }
                        }
                    }
                }
            }
            if failures.contains(where: { $0 != nil }) {
                for chunk in 0..<chunks {
                    (buffer.baseAddress! + chunk * chunkSize).deinitialize(count: filled[chunk])
                }
                initialized = 0
            } else {
                initialized = count
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        return images
    }

    /// The names of the `<id>.json` files, packed: no `String` per file until a record is made.
    func jsonEntries() throws(ReplicatorError) -> DumpEntries {
        guard let stream = opendir(path) else {
            throw ReplicatorError.dumpUnreadable(path, reason: String(cString: strerror(errno)))
        }
        defer { closedir(stream) }
        var entries = DumpEntries()
        while let entry = readdir(stream) {
            let name = directoryEntryName(entry)
            guard Self.isRecordName(name) else { continue }
            entries.append(name.dropLast(Self.recordSuffix.count))
        }
        return entries
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
    /// A read that returns less than it was offered has reached the end of a regular file. A relative `path`
    /// is taken from the open `directory`; `describe` names the file in an error.
    static func read(
        _ path: UnsafePointer<UInt8>,
        in directory: Int32 = AT_FDCWD,
        into buffer: inout [UInt8],
        describe: () -> String
    ) throws(ReplicatorError) -> Int {
        let fd = path.withMemoryRebound(to: CChar.self, capacity: 1) { openat(directory, $0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw ReplicatorError.dumpUnreadable(describe(), reason: String(cString: strerror(errno)))
        }
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
                throw ReplicatorError.dumpUnreadable(describe(), reason: String(cString: strerror(errno)))
            }
            total += count
            if count == 0 || count < offered { return total }
            buffer += [UInt8](repeating: 0, count: buffer.count)
        }
    }

    /// The whole of a small file.
    static func readFile(_ path: String) throws(ReplicatorError) -> Data {
        var buffer: [UInt8] = []
        let name = Array(path.utf8) + [0]
        let count = try name.withUnsafeBufferPointer { (pointer) throws(ReplicatorError) in
            try read(pointer.baseAddress!, into: &buffer) { path }
        }
        return Data(buffer[0..<count])
    }
}

/// The `.json` file names of a dump directory without their suffix (the image ids), packed in one buffer.
struct DumpEntries: Sendable, Hashable {
    private var bytes: [UInt8] = []
    private var starts: [Int] = []

    var count: Int { starts.count }

    mutating func append<Name: Collection>(_ id: Name) where Name.Element == UInt8 {
        starts.append(bytes.count)
        bytes.append(contentsOf: id)
    }

    subscript(index: Int) -> ArraySlice<UInt8> {
        bytes[starts[index]..<(index + 1 < starts.count ? starts[index + 1] : bytes.count)]
    }
}

/// One listing worker's reusable state: the path being built and the buffer files are read into.
private struct RecordReader {
    let directory: DumpDirectory
    /// The open directory, that names are resolved against.
    let descriptor: Int32
    let requireData: Bool
    /// The file name being read (`<id>.json`, `<id>.img`), NUL-terminated.
    private var name: [UInt8] = []
    private var scratch: [UInt8] = []
    /// Values many records repeat (tag and store lists, owners), held once per worker.
    private var interner = RecordInterner()

    init(directory: DumpDirectory, descriptor: Int32, requireData: Bool) {
        self.directory = directory
        self.descriptor = descriptor
        self.requireData = requireData
    }

    private mutating func setName(_ id: ArraySlice<UInt8>, _ suffix: String) {
        name.removeAll(keepingCapacity: true)
        name.append(contentsOf: id)
        name.append(contentsOf: suffix.utf8)
        name.append(0)
    }

    private var pathString: String { directory.path + "/" + String(decoding: name.dropLast(), as: UTF8.self) }

    /// The record of `<id>.json`, parsed in place from the read buffer.
    mutating func record(_ id: ArraySlice<UInt8>) throws(ReplicatorError) -> ImageRecord {
        setName(id, ".json")
        let file = name
        let directoryPath = directory.path
        let count = try file.withUnsafeBufferPointer { (pointer) throws(ReplicatorError) in
            try DumpDirectory.read(pointer.baseAddress!, in: descriptor, into: &scratch) {
                directoryPath + "/" + String(decoding: file.dropLast(), as: UTF8.self)
            }
        }
        let parsed = scratch.withUnsafeBytes { raw in
            Result { () throws(ImageRecordParseError) in
                try ImageRecordParser.parse(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
            }
        }
        var image: ImageRecord
        switch parsed {
        case .success(let record):
            image = record
            interner.intern(&image)
        case .failure(let error):
            throw ReplicatorError.dumpUnreadable(pathString, reason: "not a Glance image record (\(error))")
        }
        guard image.id.hasSameBytes(as: id) else {
            throw ReplicatorError.dumpUnreadable(pathString, reason: "it describes image \(image.id)")
        }
        if requireData, image.hasData {
            setName(id, ".img")
            var info = stat()
            let isFile = name.withUnsafeBufferPointer { file in
                file.baseAddress!.withMemoryRebound(to: CChar.self, capacity: file.count) {
                    fstatat(descriptor, $0, &info, 0) == 0
                } && (info.st_mode & S_IFMT) == S_IFREG
            }
            if !isFile || Int64(info.st_size) != image.size {
                image.size = nil
                image.checksum = nil
                image.osHashValue = nil
            }
        }
        return image
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
