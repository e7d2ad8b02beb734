/// The decisions of a resumable image download, kept apart from the sockets so they can be tested alone
/// (in the manner of AsyncHTTPClient's `Transaction+StateMachine`).
///
/// The machine tracks how many bytes were delivered downstream. When the source connection breaks it asks
/// for the rest with `Range: bytes=N-` (Glance answers 206); a store that cannot seek answers 400 to a Range
/// request, and then it reads from 0 again and skips what was already delivered. The consumer (an upload)
/// never sees a gap or a repeated byte.
struct DownloadStateMachine: Sendable, Hashable {
    enum State: Sendable, Hashable {
        /// No request under way; the next one starts at `delivered`.
        case idle
        /// A response is streaming; `skip` bytes of it are still to be dropped (a full re-read).
        case streaming(skip: Int64)
        case finished
        case failed
    }

    /// What the driver must do next.
    enum Action: Sendable, Hashable {
        /// Send a GET; `rangeStart` is nil for a plain request, else the offset for `Range: bytes=N-`.
        case request(rangeStart: Int64?)
        /// Pass on the chunk, without its first `dropping` bytes (which may be all of them).
        case forward(dropping: Int64)
        /// Wait, then send the next request (a resume).
        case resume(rangeStart: Int64?, afterRetry: Int)
        /// The image is complete.
        case finish
        /// Give up with the error.
        case fail
    }

    let size: Int64
    let maxResumes: Int
    private(set) var state: State = .idle
    private(set) var delivered: Int64 = 0
    private(set) var resumes = 0
    /// Whether the source refused a Range request once; from then on every resume re-reads from 0.
    private(set) var rangeUnsupported = false

    /// `offset` bytes were delivered before (an earlier run's spool file): the first request asks for the rest.
    init(size: Int64, maxResumes: Int, startingAt offset: Int64 = 0) {
        self.size = size
        self.maxResumes = maxResumes
        self.delivered = offset
    }

    /// The first request.
    mutating func start() -> Action {
        precondition(state == .idle && resumes == 0)
        return .request(rangeStart: delivered > 0 ? delivered : nil)
    }

    /// The response headers arrived; false when `status` is not a data answer (the driver reports it).
    /// 206 means the server sent from the requested offset; 200 means the whole image, from byte 0.
    mutating func responseStarted(status: Int) -> Bool {
        switch status {
        case 206: state = .streaming(skip: 0)
        case 200: state = .streaming(skip: delivered)
        default: return false
        }
        return true
    }

    /// The source refused the Range request (400): read from 0 and skip what was delivered.
    mutating func rangeRefused() -> Action {
        rangeUnsupported = true
        state = .idle
        return .request(rangeStart: nil)
    }

    /// A chunk of `count` bytes arrived.
    mutating func received(_ count: Int64) -> Action {
        guard case .streaming(let skip) = state else { preconditionFailure("chunk outside a response: \(state)") }
        let dropped = min(skip, count)
        state = .streaming(skip: skip - dropped)
        delivered += count - dropped
        return .forward(dropping: dropped)
    }

    /// The response body ended (cleanly, as far as the connection knows).
    mutating func bodyEnded() -> Action {
        if delivered >= size {
            state = .finished
            return .finish
        }
        return connectionBroke()
    }

    /// The connection failed before the image was complete.
    mutating func connectionBroke() -> Action {
        guard resumes < maxResumes else {
            state = .failed
            return .fail
        }
        resumes += 1
        state = .idle
        return .resume(rangeStart: rangeUnsupported || delivered == 0 ? nil : delivered, afterRetry: resumes)
    }
}
