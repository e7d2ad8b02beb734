import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix

extension GlanceClient {
    static let requestTimeout: TimeAmount = .seconds(120)
    /// The most a JSON answer (a listing page, a record, an error) may take: a full page of 1000 records is
    /// a few MiB; a body past this is refused rather than held.
    static let maxJSONBody = 256 * 1024 * 1024

    /// One path segment (an image id, a marker) percent-encoded: ids are checked where records are planned
    /// (`ImageRecord.invalidity`), and whatever reaches a URL still cannot add a segment, a query or a
    /// fragment to it.
    static func segment(_ text: String) -> String { ImageRecord.pathSegment(text) }

    /// A request with the current token (renewed first if it is about to expire).
    func makeRequest(_ method: HTTPMethod, _ path: String) async throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint.root + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "glance-replicator")
        request.tlsConfiguration = tls.configuration
        if let token = try await tokens.token() { request.headers.add(name: "X-Auth-Token", value: token) }
        return request
    }

    /// After a 401: whether to send the request again with a new token (once per request, Keystone
    /// tokens only; a fixed token refused is the operator's to fix).
    func renewAfterRefusal(_ request: HTTPClientRequest, alreadyRenewed: Bool) async -> Bool {
        guard !alreadyRenewed, tokens.renews else { return false }
        await tokens.rejected(request.headers.first(name: "X-Auth-Token"))
        return true
    }

    /// Sends a request with a small body (or none) and reads the whole answer, retrying connection errors,
    /// 408, 429 and 5xx with backoff. Any status not in `expected` is thrown as a `ReplicatorError`.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        body: ByteBuffer? = nil,
        contentType: String? = nil,
        expected: Set<Int>
    ) async throws -> Response {
        var attempt = 1
        var renewed = false
        while true {
            var request = try await makeRequest(method, path)
            if let body {
                request.body = .bytes(body)
                if let contentType { request.headers.replaceOrAdd(name: "Content-Type", value: contentType) }
            }
            let failure: ReplicatorError
            var retryAfter: TimeAmount?
            do {
                logger.debug("request", metadata: ["method": "\(method.rawValue)", "path": "\(path)"])
                let prepared = request
                let (response, bytes) = try await withTotalDeadline {
                    let response = try await http.execute(prepared, timeout: Self.requestTimeout, logger: logger)
                    return (response, try await response.body.collect(upTo: Self.maxJSONBody))
                }
                let status = Int(response.status.code)
                if expected.contains(status) {
                    return Response(status: status, headers: response.headers, body: bytes)
                }
                try refuseRedirect(response, method, path)
                if status == 401, await renewAfterRefusal(request, alreadyRenewed: renewed) {
                    renewed = true
                    continue
                }
                failure = httpError(method, path, status: status, body: bytes)
                retryAfter = response.headers.first(name: "Retry-After").flatMap(Int64.init).map { .seconds($0) }
            } catch let error as ReplicatorError {
                failure = error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failure = await transportFailure(error)
            }
            guard failure.isTransient, attempt < retry.attempts, !Task.isCancelled else { throw failure }
            let delay = retry.delay(beforeRetry: attempt, retryAfter: retryAfter)
            logger.info(
                "retrying",
                metadata: [
                    "request": "\(method.rawValue) \(path)", "error": "\(failure)",
                    "delay_ms": "\(delay.nanoseconds / 1_000_000)",
                ]
            )
            try await Task.sleep(nanoseconds: UInt64(delay.nanoseconds))
            attempt += 1
        }
    }

    /// Runs one request and the reading of its whole answer within `requestDeadline`: AsyncHTTPClient's
    /// deadline ends with the response head, and its read timeout only bounds the pause between two reads,
    /// so a server dribbling a body could otherwise hold a run forever.
    private func withTotalDeadline<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let limit = requestDeadline
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(limit.nanoseconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw ReplicatorError.unreachable(
                    endpoint.root,
                    reason: "the answer took longer than \(limit.nanoseconds / 1_000_000_000) s in all"
                )
            }
            return value
        }
    }

    func sendJSON<Body: Encodable>(
        _ method: HTTPMethod,
        _ path: String,
        json: Body,
        contentType: String = "application/json",
        expected: Set<Int>
    ) async throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(json)
        return try await send(method, path, body: ByteBuffer(bytes: data), contentType: contentType, expected: expected)
    }

    func decode<T: Decodable>(_ type: T.Type, from response: Response, request: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: response.body))
        } catch {
            throw ReplicatorError.malformedResponse(
                endpoint.root,
                request: request,
                detail: Self.describe(decoding: error)
            )
        }
    }

    func httpError(_ method: HTTPMethod, _ path: String, status: Int, body: ByteBuffer) -> ReplicatorError {
        let detail = Self.serverMessage(body)
        // Every error answer passes here: an overloaded target gets fewer uploads at once (the engine's listener).
        GlanceErrorAnswers.listener?.errorAnswer(endpoint: endpoint.root, status: status, message: detail)
        let request = "\(method.rawValue) \(path.split(separator: "?").first ?? "")"
        if status == 401 {
            return .authenticationRefused(endpoint.root, status: status, detail: detail, renewedToken: tokens.renews)
        }
        if status == 403, let refusal = RoleRefusal(glanceMessage: detail) {
            return .roleRefused(endpoint.root, request: request, refusal: refusal, detail: detail)
        }
        return .unexpectedResponse(endpoint.root, request: request, status: status, detail: detail)
    }

    /// The human part of a Glance error body: `{"message": "...<br /><br />", ...}` with
    /// `Accept: application/json`, HTML otherwise; reduced to one line.
    static func serverMessage(_ body: ByteBuffer) -> String {
        var text = String(buffer: body)
        if let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] {
            if let message = object["message"] as? String {
                text = message
            } else if let error = object["error"] as? [String: Any], let message = error["message"] as? String {
                text = message
            }
        }
        text = text.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
        let line = words.joined(separator: " ")
        return line.count > 300 ? String(line.prefix(300)) + "..." : line
    }

    /// A network error as an operator reads it.
    package static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .readTimeout: return "the server sent nothing for too long"
            case .remoteConnectionClosed: return "the server closed the connection"
            case .deadlineExceeded: return "the request took too long"
            default: return "\(error)"
            }
        }
        let text = "\(error)"
        if text.contains("connection refused") || text.contains("Connection refused") || text.contains("errno: 111") {
            return "connection refused"
        }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "the host name does not resolve" }
            if let first = error.connectionErrors.first { return "\(first.error)" }
        }
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        if let reason = CertificateCheck.handshakeReason(error) { return "the TLS handshake failed: \(reason)" }
        return text
    }

    static func describe(decoding error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription
        case DecodingError.keyNotFound(let key, let context):
            return "no '\(key.stringValue)'" + Self.path(context.codingPath)
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return context.debugDescription + Self.path(context.codingPath)
        default:
            return "\(error)"
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty
            ? "" : " at " + codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
