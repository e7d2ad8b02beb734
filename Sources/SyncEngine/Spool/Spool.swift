import CatalogDiff
import Foundation

/// Where downloaded image data is kept until every target holds it, and how much disk it may take.
public struct SpoolPolicy: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Data lands in the spool as it streams; uploads follow the download (the default).
        case auto
        /// The whole image is downloaded and verified before any upload starts (edge links).
        case always
        /// No spool: data is streamed from the source to each target.
        case never
    }

    public var mode: Mode
    public var directory: String
    /// The most disk the spool files of a run may take; an image larger than this is streamed instead.
    public var maxBytes: Int64?
    /// How long a spool file no run touches is kept (`--spool-max-age`): an image that vanished from its source,
    /// or a partial download no later run resumed, is deleted by the first run after its file is this old.
    public var staleAge: TimeInterval = SpoolPolicy.defaultStaleAge

    public init(mode: Mode, directory: String, maxBytes: Int64?) {
        self.mode = mode
        self.directory = directory
        self.maxBytes = maxBytes
    }

    /// Bytes held by the spool files under `directory`.
    public static func diskUse(under directory: String) -> Int64 {
        SpoolBudget.diskUse(under: directory, excluding: [])
    }

    /// The spool file of a source image: one directory per source, so that two sources never share a file.
    func path(source: String, imageID: String) -> String {
        let digest = StreamDigest(algorithm: "sha256")!
        digest.update(Array(source.utf8))
        // The id as one path segment: no id can name a file outside the spool (ids are UUIDs once planned).
        return "\(directory)/\(digest.finalize().prefix(16))/\(ImageRecord.pathSegment(imageID)).part"
    }
}

/// The spool disk a run may use (`--spool-max`): files left by earlier runs for other images, plus the
/// images being spooled now. A copy reserves its image's size before it spools and gives it back when it
/// ends; one that does not fit waits while others are under way, and streams without a spool when none is.
actor SpoolBudget {
    let limit: Int64?
    private var used: Int64
    private var active = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int64?, used: Int64 = 0) {
        self.limit = limit
        self.used = used
    }

    /// Reserves `size` bytes; false when the image must be streamed instead.
    func reserve(_ size: Int64) async -> Bool {
        guard let limit else { return true }
        while used.addingSaturated(size) > limit {
            guard active > 0, !Task.isCancelled else { return false }
            await withCheckedContinuation { waiters.append($0) }
        }
        used = used.addingSaturated(size)
        active += 1
        return true
    }

    func release(_ size: Int64) {
        guard limit != nil else { return }
        used = max(0, used - size)
        active -= 1
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume() }
    }

    /// Bytes held by the spool files under `directory` other than `excluding` (files an earlier run left for
    /// images this run will not touch still count against the limit).
    static func diskUse(under directory: String, excluding: Set<String>) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return 0 }
        var total: Int64 = 0
        while let relative = walker.nextObject() as? String {
            let path = "\(directory)/\(relative)"
            guard path.hasSuffix(".part"), !excluding.contains(path) else { continue }
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return total
    }
}
