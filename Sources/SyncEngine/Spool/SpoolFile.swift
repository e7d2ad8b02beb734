import CatalogDiff
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One image's data on local disk: written at increasing offsets as it is downloaded, read by every
/// target's upload, and kept across runs so that no byte is fetched from the source twice.
///
/// Plain positional I/O (`pread`/`pwrite`) on one descriptor, which is safe from several threads at once; the
/// class holds only constants, so it is `Sendable` without being unchecked. Reads and writes block their
/// thread briefly: local disk is far faster than the links this tool copies over.
///
/// The file belongs to one process at a time: it is held with an exclusive `flock` from open to close, so
/// that another run (another job with the same source) never truncates or rewrites it under this one's
/// uploads; that run skips the image with `SpoolFile.busy` instead.
final class SpoolFile: Sendable {
    let path: String
    private let descriptor: Int32

    /// Opens and locks the file, creating it (0600, never through a symbolic link, in a 0700 folder) when
    /// missing; existing contents are kept.
    init(path: String) throws(ReplicatorError) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try OwnFile.createFolder(directory)
        } catch {
            throw .spool(path, "cannot create its directory: \(error.localizedDescription)")
        }
        var attempt = 0
        while true {
            let descriptor = OwnFile.open(path, O_RDWR | O_CREAT)
            guard descriptor >= 0 else { throw .spool(path, "cannot open it: \(Self.lastError)") }
            var result: Int32
            repeat { result = flock(descriptor, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
            if result != 0 {
                let error = errno
                close(descriptor)
                if error == EWOULDBLOCK { throw Self.busy(path) }
                throw .spool(path, "cannot lock it: \(String(cString: strerror(error)))")
            }
            // The holder before us may have deleted the file after we opened it: lock the file at the path.
            var opened = stat()
            var current = stat()
            if fstat(descriptor, &opened) == 0, stat(path, &current) == 0, opened.st_ino == current.st_ino,
                opened.st_dev == current.st_dev
            {
                self.path = path
                self.descriptor = descriptor
                return
            }
            close(descriptor)
            attempt += 1
            guard attempt < 8 else { throw Self.busy(path) }
        }
    }

    /// Another process (another job copying the same source) holds the file: the image is left to it.
    static func busy(_ path: String) -> ReplicatorError {
        .spool(
            path,
            "in use by another glance-replicator run copying the same image; skipped here, it is copied by that "
                + "run or the next one"
        )
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

    /// Cuts the file to `length`. A file of that length already is left as it is: on ext4 a truncate to 0 marks
    /// the file to be flushed when it is closed (`auto_da_alloc`), which would send to the disk a spool written
    /// through the page cache and deleted before writeback, which otherwise never reaches it.
    func truncate(to length: Int64) throws(ReplicatorError) {
        guard try self.length() != length else { return }
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            throw .spool(path, "cannot truncate it: \(Self.lastError)")
        }
    }

    func write(_ buffer: ByteBuffer, at offset: Int64) throws(ReplicatorError) {
        let failure: String? = buffer.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress else { return nil }
            return write(base, count: bytes.count, at: offset)
        }
        if let failure { throw .spool(path, "cannot write it: \(failure)") }
    }

    /// Writes `count` bytes from `bytes` at `offset`; the error's text, or nil.
    func write(_ bytes: UnsafeRawPointer, count: Int, at offset: Int64) -> String? {
        let error = Self.write(descriptor, bytes, count: count, at: offset)
        return error == 0 ? nil : String(cString: strerror(error))
    }

    /// `pwrite` until every byte is written: 0, or the `errno` of the failure.
    static func write(_ descriptor: Int32, _ bytes: UnsafeRawPointer, count: Int, at offset: Int64) -> Int32 {
        var done = 0
        while done < count {
            let written = pwrite(descriptor, bytes + done, count - done, off_t(offset) + off_t(done))
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += written
        }
        return 0
    }

    /// A second descriptor of the same file for writes that bypass the page cache (`O_DIRECT`), or nil where
    /// the system or the file system has none. Opened through `/proc/self/fd`, so it is this very file even if
    /// the path was replaced since.
    func openDirectDescriptor() -> Int32? {
        guard let flag = Self.directFlag else { return nil }
        let direct = open("/proc/self/fd/\(descriptor)", O_WRONLY | flag | O_CLOEXEC)
        return direct >= 0 ? direct : nil
    }

    /// Linux's `O_DIRECT`, which Glibc's Swift module leaves out (it needs `_GNU_SOURCE`): its value differs by
    /// architecture (asm-generic's, except on Arm).
    private static var directFlag: Int32? {
        #if os(Linux) && (arch(x86_64) || arch(i386))
        0o40000
        #elseif os(Linux) && (arch(arm64) || arch(arm))
        0o200000
        #else
        nil
        #endif
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
