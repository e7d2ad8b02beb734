import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

extension SpoolPolicy {
    /// How long a spool file no run touches is kept unless `--spool-max-age` says otherwise.
    public static let defaultStaleAge: TimeInterval = 7 * 24 * 3600

    /// Deletes the stale `.part` files under the spool folder (older than `staleAge`, by modification time),
    /// except `keeping` (this run's images) and files another process holds (its lock); returns the paths
    /// deleted.
    @discardableResult
    func removeStale(keeping: Set<String>, now: Date = Date(), logger: Logger) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var removed: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = "\(directory)/\(relative)"
            guard path.hasSuffix(".part"), !keeping.contains(path) else { continue }
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
            guard now.timeIntervalSince(modified) > staleAge else { continue }
            let descriptor = OwnFile.open(path, O_RDONLY)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            // Held by a run that is using it: not stale after all.
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            if unlink(path) == 0 {
                removed.append(path)
                logger.info(
                    "removed a stale spool file",
                    metadata: ["path": "\(path)", "bytes": "\(info.st_size)", "modified": "\(modified)"]
                )
            }
        }
        return removed
    }
}
