import AsyncHTTPClient
import CatalogDiff
import NIOCore
import NIOHTTP1

extension GlanceClient {
    /// The slowest upload a run tolerates before giving up on it (AHC's deadline covers a whole request
    /// body, so it is derived from the size).
    static let minimumUploadSpeed: Int64 = 256 * 1024

    /// How long moving `size` bytes may take, at the slowest speed a run tolerates: the deadline of an
    /// upload, and the patience with an import Glance runs on its own.
    /// A size out of range (from a server) is held to `ImageRecord.maxSize`: the sum never traps.
    package static func allowance(forBytes size: Int64) -> TimeAmount {
        requestTimeout + .seconds(min(max(0, size), ImageRecord.maxSize) / minimumUploadSpeed)
    }

    /// Starts `GET /v2/images/{id}/file`, from `offset` with `Range: bytes=N-` when given, and returns once
    /// the headers are in: the body is streamed by the caller with backpressure, never buffered whole.
    /// Answers 200 or 206 (with the length the range implies); anything else throws.
    package func openDownload(
        _ id: String,
        from offset: Int64?,
        size: Int64
    ) async throws -> (
        status: Int, body: HTTPClientResponse.Body
    ) {
        let path = "/v2/images/\(Self.segment(id))/file"
        var renewed = false
        var response: HTTPClientResponse
        while true {
            var request = try await makeRequest(.GET, path)
            if let offset { request.headers.add(name: "Range", value: "bytes=\(offset)-") }
            do {
                response = try await http.execute(request, timeout: Self.requestTimeout, logger: logger)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw await transportFailure(error)
            }
            try refuseRedirect(response, .GET, path)
            guard response.status.code == 401, await renewAfterRefusal(request, alreadyRenewed: renewed) else { break }
            _ = try? await response.body.collect(upTo: 1 << 20)
            renewed = true
        }
        let status = Int(response.status.code)
        guard status == 200 || (status == 206 && offset != nil) else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            if status == 204 {
                throw ReplicatorError.dataMismatch("the source holds no data for image \(id) (204 No Content)")
            }
            throw httpError(.GET, path, status: status, body: body)
        }
        let expected = status == 206 ? size - (offset ?? 0) : size
        if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init), length != expected {
            throw ReplicatorError.dataMismatch(
                "the source offers \(length) bytes of image \(id) where its record implies \(expected)"
            )
        }
        return (status, response.body)
    }

    /// `PUT /v2/images/{id}/file` with a streamed body of known size.
    package func upload<Bytes: AsyncSequence & Sendable>(_ id: String, _ bytes: Bytes, size: Int64) async throws
    where Bytes.Element == ByteBuffer {
        try await put(bytes, size: size, to: "/v2/images/\(Self.segment(id))/file")
    }

    /// `PUT /v2/images/{id}/stage`: the data of the interoperable import flow, imported afterwards with
    /// `glance-direct` (see `GlanceClient+import.swift`).
    package func stage<Bytes: AsyncSequence & Sendable>(_ id: String, _ bytes: Bytes, size: Int64) async throws
    where Bytes.Element == ByteBuffer {
        try await put(bytes, size: size, to: "/v2/images/\(Self.segment(id))/stage")
    }

    private func put<Bytes: AsyncSequence & Sendable>(_ bytes: Bytes, size: Int64, to path: String) async throws
    where Bytes.Element == ByteBuffer {
        // Not repeated after a 401 (the body is a stream read once): the token is renewed before it
        // expires, and Glance checks it when the request starts.
        var request = try await makeRequest(.PUT, path)
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/octet-stream")
        request.headers.add(name: "x-openstack-image-size", value: String(size))
        request.body = .stream(bytes, length: .known(size))
        let deadline = NIODeadline.now() + Self.allowance(forBytes: size)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: deadline, logger: logger)
        } catch let error as ReplicatorError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw await transportFailure(error)
        }
        try refuseRedirect(response, .PUT, path)
        let body = try await response.body.collect(upTo: 1 << 20)
        let status = Int(response.status.code)
        guard status == 204 || status == 200 else { throw httpError(.PUT, path, status: status, body: body) }
    }
}
