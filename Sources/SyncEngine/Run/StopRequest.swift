import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A request to stop a run, made by SIGINT or SIGTERM: the run starts no new image, stops the transfers
/// under way (an upload cut off returns its image to `queued`, which the next run fills), records what it
/// did in the journal, and the CLI exits 130 or 143.
public final class StopRequest: Sendable {
    private struct State {
        var signal: Int32?
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The signal that asked the run to stop, if one did.
    public var signal: Int32? { state.withLock { $0.signal } }

    /// The signal's name, as reports and logs give it.
    public var signalName: String? {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case let other?: "signal \(other)"
        case nil: nil
        }
    }

    /// Asks the run to stop (the first signal counts; later ones change nothing).
    public func request(signal: Int32) {
        let waiters = state.withLock { state in
            if state.signal == nil { state.signal = signal }
            let waiters = state.waiters
            state.waiters = [:]
            return waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Returns once a stop is requested, or when the calling task is cancelled.
    func wait() async {
        let id = state.withLock {
            $0.nextWaiter += 1
            return $0.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLock { state in
                    if state.signal != nil || Task.isCancelled {
                        continuation.resume()
                    } else {
                        state.waiters[id] = continuation
                    }
                }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}

extension StopRequest {
    /// Runs `body` with SIGINT and SIGTERM turned into a stop request instead of ending the process, and
    /// restores their default handling afterwards.
    public static func withSignalHandling<Result: Sendable>(
        _ body: (StopRequest) async throws -> Result
    ) async rethrows -> Result {
        let stop = StopRequest()
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.request(signal: number) }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            Glibc.signal(SIGINT, SIG_DFL)
            Glibc.signal(SIGTERM, SIG_DFL)
        }
        return try await body(stop)
    }
}
