/// The limits of one run (`--max-transfer`, `--max-duration`): no image starts past them, and the images
/// left over wait for the next run. Pure: the caller supplies the time.
public struct TransferBudget: Sendable, Hashable {
    /// Bytes the run may fetch from the source in all.
    public var maxBytes: Int64?
    /// Seconds after the run's start past which no image starts.
    public var maxSeconds: Double?
    public private(set) var startedBytes: Int64 = 0

    public init(maxBytes: Int64? = nil, maxSeconds: Double? = nil) {
        self.maxBytes = maxBytes
        self.maxSeconds = maxSeconds
    }

    /// Whether an image of `size` bytes may start `elapsed` seconds into the run; counts it when it may.
    /// An image that would take the run past `maxBytes` waits, but a smaller one after it may still start.
    public mutating func admit(size: Int64, elapsed: Double) -> Bool {
        if let maxSeconds, elapsed >= maxSeconds { return false }
        if let maxBytes, startedBytes.addingSaturated(size) > maxBytes { return false }
        startedBytes = startedBytes.addingSaturated(size)
        return true
    }
}
