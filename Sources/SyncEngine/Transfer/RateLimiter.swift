import Synchronization

/// A token bucket shared by every transfer of a run (`--bwlimit`): callers take bytes and sleep while the
/// bucket is in debt, so the run's total rate stays at the limit however many images are copied at once.
/// Because reads from a socket are paced, TCP's flow control slows the sender too.
public final class RateLimiter: Sendable {
    /// Bytes per second.
    public let rate: Int64
    private let burst: Int64
    private let state: Mutex<(tokens: Double, updated: ContinuousClock.Instant)>

    public init(bytesPerSecond rate: Int64) {
        precondition(rate > 0)
        self.rate = rate
        // A quarter second of burst: smooth enough for a progress bar, coarse enough to stay cheap.
        burst = max(rate / 4, 64 * 1024)
        state = Mutex((tokens: Double(max(rate / 4, 64 * 1024)), updated: .now))
    }

    /// Takes `count` bytes from the bucket, sleeping until the debt they make is paid back.
    public func take(_ count: Int) async throws {
        let wait = state.withLock { state -> Double in
            let now = ContinuousClock.now
            let elapsed = now - state.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            state.tokens = min(Double(burst), state.tokens + seconds * Double(rate)) - Double(count)
            state.updated = now
            return state.tokens < 0 ? -state.tokens / Double(rate) : 0
        }
        if wait > 0 {
            try await Task.sleep(for: .nanoseconds(Int64(wait * 1e9)))
        }
    }
}
