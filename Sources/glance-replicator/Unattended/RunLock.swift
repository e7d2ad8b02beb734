import CatalogDiff
import Foundation
import SyncEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One run per job at a time: an exclusive `flock(2)` on a lock file, held for the life of the process.
///
/// The kernel drops the lock when the holder exits however it exits (crash, SIGKILL, OOM killer), so a
/// lock left by a killed run is recovered by the next one at once, never waited on: the file may still
/// exist and name the dead holder, but nobody holds it. The holder writes its pid, host and start time
/// into the file so that an overlapping run can say who is in its way. `flock` is local to one host (and
/// unreliable on some network filesystems): it keeps cron or a timer from overlapping on one machine, not
/// two machines from running the same job.
final class RunLock: Sendable {
    /// The lock file.
    let path: String
    private let descriptor: Int32

    /// Another run holds the lock: its details as it wrote them, or nil when it had not written them yet.
    static func held(_ path: String, by holder: Holder?) -> ReplicatorError {
        guard let holder else {
            return .runLocked("another run holds the lock \(path) (it has not yet said who it is)")
        }
        return .runLocked(
            "another run holds the lock \(path): pid \(holder.pid) on \(holder.host) since \(holder.started)"
        )
    }

    /// Who holds a lock, as the lock file records it: `pid host started` on one line.
    struct Holder: Sendable, Hashable {
        var pid: Int32
        var host: String
        /// RFC 3339, UTC.
        var started: String

        init(pid: Int32, host: String, started: String) {
            self.pid = pid
            self.host = host
            self.started = started
        }

        init?(line: String) {
            let words = line.split(separator: " ")
            guard words.count == 3, let pid = Int32(words[0]) else { return nil }
            self.init(pid: pid, host: String(words[1]), started: String(words[2]))
        }

        var line: String { "\(pid) \(host) \(started)\n" }

        /// This process, now.
        static var current: Holder {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            return Holder(
                pid: getpid(),
                host: ProcessInfo.processInfo.hostName,
                started: formatter.string(from: Date())
            )
        }
    }

    /// Takes the lock without waiting, creating the file and its folders as needed.
    ///
    /// - Throws: `ReplicatorError` of category `.locked` when another live process holds it, `.usage` when
    ///   the file cannot be used.
    init(path: String, holder: Holder = .current) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try OwnFile.createFolder(folder)
            } catch {
                throw ReplicatorError.lockUnusable(
                    path,
                    reason: "cannot create \(folder): \(error.localizedDescription)"
                )
            }
        }
        let descriptor = OwnFile.open(path, O_RDWR | O_CREAT)
        guard descriptor >= 0 else {
            throw ReplicatorError.lockUnusable(path, reason: String(cString: strerror(errno)))
        }
        var result: Int32
        repeat { result = flock(descriptor, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        guard result == 0 else {
            let error = errno
            defer { close(descriptor) }
            if error == EWOULDBLOCK {
                throw Self.held(path, by: Self.read(descriptor).flatMap(Holder.init(line:)))
            }
            throw ReplicatorError.lockUnusable(path, reason: String(cString: strerror(error)))
        }
        // Ours now: whatever a dead holder left is replaced.
        let bytes = Array(holder.line.utf8)
        guard ftruncate(descriptor, 0) == 0, pwrite(descriptor, bytes, bytes.count, 0) == bytes.count else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ReplicatorError.lockUnusable(path, reason: reason)
        }
        self.descriptor = descriptor
    }

    /// Who holds the lock at `path`, as its file says (nil when the file is absent or empty). The lock may
    /// be free: a killed holder's details stay in the file until the next run takes it.
    static func recordedHolder(at path: String) -> Holder? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return read(descriptor).flatMap(Holder.init(line:))
    }

    private static func read(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Releases the lock (the file stays, so its inode is stable for the next run); exiting does the same.
    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
