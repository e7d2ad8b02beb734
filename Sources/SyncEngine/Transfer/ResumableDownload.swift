import AsyncHTTPClient
import CatalogDiff
import Logging
import NIOCore
import OpenStackAPI

/// An image's data from the source as one byte stream that survives broken connections.
///
/// Drives `DownloadStateMachine`: a break is resumed at once with `Range: bytes=N-` (then after short
/// waits), so the upload it feeds stays open and nothing delivered is fetched again. The waits stay short
/// because the target's server gives up on a silent upload after a few seconds.
struct ResumableDownload: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// Broken connections resumed within one image before it fails (the next run resumes it too).
    static let defaultMaxResumes = 8

    let client: GlanceClient
    let imageID: String
    let size: Int64
    /// Bytes already held (a spool file from an earlier run): the download starts after them.
    var offset: Int64 = 0
    let maxResumes: Int
    let logger: Logger
    /// How long the whole download may take; nil for `GlanceClient.allowance` of the bytes still to come
    /// (tests name a short one).
    var allowance: TimeAmount? = nil

    func makeAsyncIterator() -> Iterator {
        Iterator(download: self)
    }

    var totalAllowance: TimeAmount {
        allowance ?? GlanceClient.allowance(forBytes: size - offset)
    }

    struct Iterator: AsyncIteratorProtocol {
        let download: ResumableDownload
        var machine: DownloadStateMachine
        var body: HTTPClientResponse.Body.AsyncIterator?
        var pending: DownloadStateMachine.Action?
        /// The whole download's deadline, at the slowest speed a run tolerates (`GlanceClient.allowance`): the
        /// read timeout bounds only a silence, so a source dribbling bytes would otherwise never end.
        let deadline: ContinuousClock.Instant

        init(download: ResumableDownload) {
            self.download = download
            deadline = .now + .nanoseconds(download.totalAllowance.nanoseconds)
            self.machine = DownloadStateMachine(
                size: download.size,
                maxResumes: download.maxResumes,
                startingAt: download.offset
            )
        }

        mutating func next() async throws -> ByteBuffer? {
            if machine.state == .finished { return nil }
            if pending == nil, body == nil { pending = machine.start() }
            while true {
                guard ContinuousClock.now < deadline else {
                    body = nil
                    let allowed = download.totalAllowance
                    throw ReplicatorError.unreachable(
                        download.client.endpoint.root,
                        reason: "the download of image \(download.imageID) took longer than it may in all "
                            + "(\(allowed.nanoseconds / 1_000_000_000) s); \(machine.delivered) of \(download.size) "
                            + "bytes came"
                    )
                }
                if let action = pending {
                    pending = nil
                    switch action {
                    case .request(let rangeStart):
                        try await open(rangeStart: rangeStart)
                    case .resume(let rangeStart, let retry):
                        download.logger.info(
                            "resuming download",
                            metadata: [
                                "image_id": "\(download.imageID)", "offset": "\(machine.delivered)",
                                "range": "\(rangeStart != nil)",
                            ]
                        )
                        if retry > 1 {
                            try await Task.sleep(nanoseconds: UInt64(Swift.min(retry - 1, 4)) * 250_000_000)
                        }
                        try await open(rangeStart: rangeStart)
                    case .finish:
                        return nil
                    case .fail, .forward:
                        preconditionFailure("not a pending action: \(action)")
                    }
                }
                // Opening may have decided on another request instead (a refused Range, a retry).
                guard var current = body else { continue }
                let chunk: ByteBuffer?
                do {
                    chunk = try await current.next()
                    body = current
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    try fail(after: error, or: machine.connectionBroke())
                    continue
                }
                guard var chunk else {
                    body = nil
                    let action = machine.bodyEnded()
                    if action == .finish { return nil }
                    try fail(after: nil, or: action)
                    continue
                }
                guard case .forward(let dropping) = machine.received(Int64(chunk.readableBytes)) else { continue }
                chunk.moveReaderIndex(forwardBy: Int(dropping))
                if chunk.readableBytes > 0 { return chunk }
            }
        }

        private mutating func fail(after error: (any Error)?, or action: DownloadStateMachine.Action) throws {
            body = nil
            guard action != .fail else {
                let reason = error.map { GlanceClient.describe($0) } ?? "the response ended early"
                throw ReplicatorError.unreachable(
                    download.client.endpoint.root,
                    reason:
                        "the download of image \(download.imageID) broke after \(machine.delivered) of \(download.size) "
                        + "bytes and \(machine.resumes) resumes (\(reason))"
                )
            }
            pending = action
        }

        private mutating func open(rangeStart: Int64?) async throws {
            do {
                let response = try await download.client.openDownload(
                    download.imageID,
                    from: rangeStart,
                    size: download.size
                )
                guard machine.responseStarted(status: response.status) else {
                    preconditionFailure("openDownload returned status \(response.status)")
                }
                body = response.body.makeAsyncIterator()
            } catch let error as ReplicatorError where error.isBadRequest && rangeStart != nil {
                download.logger.info(
                    "the source refuses Range requests: reading from the start, skipping what was sent"
                )
                pending = machine.rangeRefused()
            } catch let error as ReplicatorError where error.isTransient {
                try fail(after: error, or: machine.connectionBroke())
            }
        }
    }
}
