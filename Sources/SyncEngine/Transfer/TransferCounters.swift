import Synchronization

/// Byte counts of a whole run, shared by its transfers (the journal's `bytes_read`, the metrics).
public final class TransferCounters: Sendable {
    private let read = Atomic<Int64>(0)

    public init() {}

    /// Bytes read from the source.
    public var bytesRead: Int64 { read.load(ordering: .relaxed) }

    func addRead(_ count: Int) {
        read.add(Int64(count), ordering: .relaxed)
    }
}

/// Told what the transfers of a run do, for progress displays. Called from many tasks at once.
public protocol TransferObserver: Sendable {
    /// An image's copy starts: `size` bytes to fetch, for `targets` targets.
    func started(_ imageID: String, name: String?, size: Int64, targets: Int)
    /// `bytes` more of the image were fetched (or found in the spool).
    func advanced(_ imageID: String, bytes: Int64)
    /// The copy ended; `error` when it failed on some target.
    func finished(_ imageID: String, error: String?)
}
