import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

/// A client for one Glance v2 endpoint: the few calls replication needs, with Glance's content types,
/// its JSON error bodies turned into one-line messages, and retries for what may pass.
public struct GlanceClient: Sendable {
    public let endpoint: GlanceEndpoint
    package let http: HTTPClient
    /// Where X-Auth-Token comes from: fixed (`--token`), or a cloud's Keystone, shared by its regions.
    package let tokens: TokenProvider
    package let retry: RetryPolicy
    /// This endpoint's TLS settings, sent with each request (nil: the system CAs, verified).
    let tls: CloudConfig.TLS
    let logger: Logger
    /// The most one JSON request may take, its whole answer read (`send`); the read timeout alone only
    /// bounds the pause between two reads.
    var requestDeadline: TimeAmount = .seconds(300)
    /// The most pages a listing may take (`maxPages`; tests lower it).
    var pageLimit = GlanceClient.maxPages

    public init(
        endpoint: GlanceEndpoint,
        http: HTTPClient,
        token: String?,
        tls: CloudConfig.TLS = .system,
        retry: RetryPolicy = .default,
        logger: Logger
    ) {
        self.init(
            endpoint: endpoint,
            http: http,
            tokens: TokenProvider(fixed: token),
            tls: tls,
            retry: retry,
            logger: logger
        )
    }

    public init(
        endpoint: GlanceEndpoint,
        http: HTTPClient,
        tokens: TokenProvider,
        tls: CloudConfig.TLS = .system,
        retry: RetryPolicy = .default,
        logger: Logger
    ) {
        self.endpoint = endpoint
        self.http = http
        self.tokens = tokens
        self.tls = tls
        self.retry = retry
        var logger = logger
        logger[metadataKey: "endpoint"] = "\(endpoint.root)"
        self.logger = logger
    }

    /// An answer whose body was read whole (JSON calls only; image data is streamed, never buffered).
    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }
}

/// How often and how patiently requests that may succeed on a second try are repeated.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    public var attempts: Int
    public var initialBackoff: TimeAmount
    public var maximumBackoff: TimeAmount

    public init(attempts: Int, initialBackoff: TimeAmount, maximumBackoff: TimeAmount) {
        self.attempts = attempts
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    public static let `default` = RetryPolicy(
        attempts: 4,
        initialBackoff: .milliseconds(250),
        maximumBackoff: .seconds(30)
    )

    /// Exponential backoff with full jitter for the given retry (1 for the first retry); a server's
    /// Retry-After, when given, is honoured instead (capped at the maximum).
    package func delay(beforeRetry retry: Int, retryAfter: TimeAmount?) -> TimeAmount {
        if let retryAfter { return max(.zero, min(retryAfter, maximumBackoff)) }
        let ceiling = min(initialBackoff.nanoseconds << Int64(min(retry - 1, 20)), maximumBackoff.nanoseconds)
        return .nanoseconds(Int64.random(in: (ceiling / 2)...max(ceiling / 2, ceiling)))
    }
}
