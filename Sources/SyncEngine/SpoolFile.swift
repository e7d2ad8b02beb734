import Foundation
import NIOCore

/// One image's data on local disk: written at increasing offsets as it is downloaded, read by every
/// target's upload, and kept across runs so that no byte is fetched from the source twice.
///
/// Plain positional I/O (`pread`/`pwrite`) on one descriptor, which is safe from several threads at once; the
/// class holds only constants, so it is `Sendable` without being unchecked. Reads and writes block their
/// thread briefly: local disk is far faster than the links this tool copies over.
final class SpoolFile: Sendable {
    let path: String
    private let descriptor: Int32

    /// Opens the file, creating it (and its directory) when missing; existing contents are kept.
    init(path: String) throws(ReplicatorError) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .spool(path, "cannot create its directory: \(error.localizedDescription)")
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .spool(path, "cannot open it: \(Self.lastError)") }
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// The bytes the file holds.
    func length() throws(ReplicatorError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .spool(path, "cannot stat it: \(Self.lastError)") }
        return Int64(info.st_size)
    }

    func truncate(to length: Int64) throws(ReplicatorError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            throw .spool(path, "cannot truncate it: \(Self.lastError)")
        }
    }

    func write(_ buffer: ByteBuffer, at offset: Int64) throws(ReplicatorError) {
        let failure: String? = buffer.withUnsafeReadableBytes { bytes in
            var done = 0
            while done < bytes.count {
                let written = pwrite(
                    descriptor,
                    bytes.baseAddress! + done,
                    bytes.count - done,
                    off_t(offset) + off_t(done)
                )
                if written < 0 {
                    if errno == EINTR { continue }
                    return Self.lastError
                }
                done += written
            }
            return nil
        }
        if let failure { throw .spool(path, "cannot write it: \(failure)") }
    }

    /// Up to `count` bytes from `offset` (fewer only at the end of the file).
    func read(at offset: Int64, count: Int) throws(ReplicatorError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        let failure: String? =
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
                var done = 0
                while done < count {
                    let read = pread(descriptor, bytes.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                    if read < 0 {
                        if errno == EINTR { continue }
                        return 0
                    }
                    if read == 0 { break }
                    done += read
                }
                return done
            } == 0 && count > 0 ? "nothing to read at offset \(offset)" : nil
        if let failure { throw .spool(path, "cannot read it: \(failure) (\(Self.lastError))") }
        return buffer
    }

    /// Forces written data to disk (before the journal records it as spooled).
    func synchronize() {
        _ = fdatasync(descriptor)
    }

    /// Deletes the file; a file already gone is not an error.
    static func remove(_ path: String) {
        _ = unlink(path)
    }

    private static var lastError: String { String(cString: strerror(errno)) }
}
