import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One scripted answer of the staged server.
struct StagedResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: String
    /// Set to send the body one byte per this pause (a server that dribbles its answer).
    var dribble: TimeAmount?

    init(_ status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: String = "", dribble: TimeAmount? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.dribble = dribble
    }

    static func json(_ body: String, status: HTTPResponseStatus = .ok) -> Self {
        Self(status, headers: ["Content-Type": "application/json"], body: body)
    }
}

/// A request as the staged server saw it.
struct RecordedRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var bodyBytes: Int
    /// Whether the whole request arrived (false when the client gave up mid-body).
    var complete: Bool
    /// The body's first MiB, as text (JSON requests).
    var body = ""

    var path: Substring { uri.split(separator: "?", maxSplits: 1).first ?? "" }
    var query: [String: String] {
        guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        return Dictionary(
            query.split(separator: "&").map {
                let pair = $0.split(separator: "=", maxSplits: 1)
                return (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
            },
            uniquingKeysWith: { _, last in last }
        )
    }
}

/// The script and what was asked of it, shared by every connection's handler (each on its own event loop
/// thread) and the test: all access goes through the lock.
final class StagedScript: Sendable {
    private struct State {
        var responses: [StagedResponse]
        var requests: [RecordedRequest] = []
    }

    private let state: NIOLockedValueBox<State>
    /// When set, answers every request instead of the list (a server with state of its own: `HostileGlance`).
    private let route: (@Sendable (RecordedRequest) -> StagedResponse)?

    init(_ responses: [StagedResponse]) {
        precondition(!responses.isEmpty, "a staged server needs at least one answer")
        state = NIOLockedValueBox(State(responses: responses))
        route = nil
    }

    init(route: @escaping @Sendable (RecordedRequest) -> StagedResponse) {
        state = NIOLockedValueBox(State(responses: []))
        self.route = route
    }

    /// Records a complete request and gives the next scripted answer; the last one answers every request after.
    func answer(_ request: RecordedRequest) -> StagedResponse {
        let scripted: StagedResponse? = state.withLockedValue { state in
            state.requests.append(request)
            guard route == nil else { return nil }
            return state.responses.count > 1 ? state.responses.removeFirst() : state.responses[0]
        }
        return scripted ?? route!(request)
    }

    /// Records a request the client broke off (no answer is sent).
    func recordIncomplete(_ request: RecordedRequest) {
        state.withLockedValue { $0.requests.append(request) }
    }

    var requests: [RecordedRequest] { state.withLockedValue { $0.requests } }
}

/// One connection: answers each complete HTTP/1.1 request from the script.
final class StagedHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let script: StagedScript
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    private var bodyText = ByteBuffer()

    init(script: StagedScript) {
        self.script = script
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            bodyBytes = 0
            bodyText.clear()
        case .body(var buffer):
            bodyBytes += buffer.readableBytes
            if bodyText.readableBytes < 1 << 20 { bodyText.writeBuffer(&buffer) }
        case .end:
            guard let head else { return }
            self.head = nil
            let response = script.answer(
                RecordedRequest(
                    method: head.method,
                    uri: head.uri,
                    headers: head.headers,
                    bodyBytes: bodyBytes,
                    complete: true,
                    body: String(buffer: bodyText)
                )
            )
            let body = ByteBuffer(string: response.body)
            var headers = response.headers
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
            context.write(
                wrapOutboundOut(
                    .head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))
                ),
                promise: nil
            )
            if let pause = response.dribble {
                context.flush()
                dribble(body, every: pause, context: context)
                return
            }
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// Sends `body` a byte at a time, `pause` apart, until it is sent or the client closes the connection.
    private func dribble(_ body: ByteBuffer, every pause: TimeAmount, context: ChannelHandlerContext) {
        var rest = body
        guard context.channel.isActive, let byte = rest.readSlice(length: 1) else {
            if context.channel.isActive { context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
            return
        }
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(byte))), promise: nil)
        let remaining = rest
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: pause) {
            let (handler, context) = loopBound.value
            handler.dribble(remaining, every: pause, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let head {
            script.recordIncomplete(
                RecordedRequest(
                    method: head.method,
                    uri: head.uri,
                    headers: head.headers,
                    bodyBytes: bodyBytes,
                    complete: false
                )
            )
            self.head = nil
        }
        context.fireChannelInactive()
    }
}

/// An in-process HTTP/1.1 server on 127.0.0.1 that stages what a real Glance never sends.
struct StagedGlance: Sendable {
    let script: StagedScript
    private let channel: any Channel
    let port: Int
    /// https when the server speaks TLS (`tls` given to `start`).
    var scheme = "http"

    /// `tls`: the server's certificate and key, to serve https.
    static func start(_ responses: [StagedResponse], tls: NIOSSLContext? = nil) async throws -> StagedGlance {
        try await start(script: StagedScript(responses), tls: tls)
    }

    /// A server whose every answer `route` decides (it may keep state of its own).
    static func start(route: @escaping @Sendable (RecordedRequest) -> StagedResponse) async throws -> StagedGlance {
        try await start(script: StagedScript(route: route), tls: nil)
    }

    private static func start(script: StagedScript, tls: NIOSSLContext?) async throws -> StagedGlance {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(StagedHandler(script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = channel.localAddress?.port else {
            try await channel.close()
            throw ChannelError.unknownLocalAddress
        }
        return StagedGlance(script: script, channel: channel, port: port, scheme: tls == nil ? "http" : "https")
    }

    var root: String { "\(scheme)://127.0.0.1:\(port)" }

    var requests: [RecordedRequest] { script.requests }

    /// Waits (up to `limit`) until `count` requests were recorded: a client that breaks a request off may
    /// return before the server sees the connection close.
    func requests(atLeast count: Int, within limit: Duration = .seconds(5)) async throws -> [RecordedRequest] {
        let deadline = ContinuousClock.now + limit
        while script.requests.count < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        return script.requests
    }

    func stop() async throws {
        try await channel.close()
    }
}
