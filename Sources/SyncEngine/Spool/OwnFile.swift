import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How the tool creates the files it owns (spool, journal, lock, dumps, reports, metrics): never through a
/// symbolic link planted at the path, and private (0600) unless the caller says otherwise, so that a
/// private image's data or a run's state never becomes readable by other users of the host.
public enum OwnFile {
    /// The permissions of a file the tool creates: 0600, or 0644 for what is public anyway.
    public static let privateMode: mode_t = 0o600
    public static let publicMode: mode_t = 0o644

    /// Opens `path` with `flags` (O_CREAT among them to create it) without following a symbolic link;
    /// a file that is created gets `mode`. Returns the descriptor, or -1 with `errno` set.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = privateMode) -> Int32 {
        Glibc.open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode)
    }

    /// Creates the folders of `path` (0700 for the ones made here).
    public static func createFolder(_ folder: String) throws {
        try FileManager.default.createDirectory(
            atPath: folder,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
    }

    /// A new temporary file beside `path`, created exclusively (`O_EXCL`: never an existing file or link)
    /// with `mode`; returns its descriptor and path.
    public static func createTemporary(beside path: String, mode: mode_t = privateMode) throws -> (Int32, String) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        for _ in 0..<16 {
            // A dot name: folders read by other programs (node_exporter's textfile collector) skip it.
            let temporary = "\(folder)/.\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp"
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
            if descriptor >= 0 { return (descriptor, temporary) }
            if errno != EEXIST { throw Failure(reason: String(cString: strerror(errno))) }
        }
        throw Failure(reason: "no free temporary name beside it")
    }

    /// Replaces `path` with `data` atomically: readers see the old file or the new one, never a part; the
    /// temporary file is created exclusively and renamed over `path` (a link at `path` is replaced, not
    /// followed).
    public static func replace(_ path: String, with data: Data, mode: mode_t = privateMode) throws {
        let (descriptor, temporary) = try createTemporary(beside: path, mode: mode)
        var failure: String?
        data.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let count = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                done += count
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw Failure(reason: failure)
        }
    }

    /// Why a file could not be written (strerror's words).
    public struct Failure: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }
}
