import Foundation
import Logging

/// The X-Auth-Token every request of one cloud (or of every bare endpoint) sends.
///
/// An actor because the regions of a cloud and the concurrent transfers of a run share it: one Keystone
/// token per cloud, renewed once before it expires (however many requests notice at the same moment) and
/// once more when Glance answers 401 with it. A fixed token (`--token`, OS_AUTH_TOKEN) is never renewed.
public actor TokenProvider {
    /// Where new tokens come from: Keystone, or nowhere (a fixed token or none).
    enum Source: Sendable {
        case fixed(String?)
        case keystone(@Sendable () async throws -> KeystoneToken)
    }

    private let source: Source
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private var current: KeystoneToken?
    private var renewal: Task<KeystoneToken, any Error>?
    /// How many tokens were issued: for tests and the debug log.
    public private(set) var issued = 0

    /// A token that never changes (nil: no X-Auth-Token, as the noauth test regions expect).
    public init(fixed token: String?) {
        source = .fixed(token)
        clock = { Date() }
        logger = Logger(label: "glance-replicator.token")
    }

    /// Tokens from Keystone for one cloud.
    public init(keystone: KeystoneClient, logger: Logger) {
        self.init(issue: { try await keystone.issueToken() }, logger: logger)
    }

    /// Tokens from `issue` (tests stage expiry with `clock`).
    init(
        issue: @escaping @Sendable () async throws -> KeystoneToken,
        clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        source = .keystone(issue)
        self.clock = clock
        self.logger = logger
    }

    /// Whether a 401 may be answered by trying again with a new token.
    public nonisolated var renews: Bool {
        if case .keystone = source { return true }
        return false
    }

    /// The token to send now: renewed first when it is within its renewal margin of expiring.
    public func token() async throws -> String? {
        switch source {
        case .fixed(let token): return token
        case .keystone: return try await keystoneToken().value
        }
    }

    /// The current Keystone token with its catalog (issuing the first one); only for Keystone sources.
    public func keystoneToken() async throws -> KeystoneToken {
        if let current, !needsRenewal(current) { return current }
        return try await renew(reason: current == nil ? "first" : "expiring")
    }

    /// Whether the token carries `role`; nil for a fixed token (its roles are unknown: Glance decides).
    public func hasRole(_ role: String) async throws -> Bool? {
        guard case .keystone = source else { return nil }
        return try await keystoneToken().roles.contains(role)
    }

    /// Glance answered 401 with `token`: the next `token()` gets a new one, unless another request already
    /// renewed it.
    public func rejected(_ token: String?) {
        guard case .keystone = source, let current, current.value == token else { return }
        logger.info("token refused, renewing", metadata: ["expires_at": "\(current.expiresAt)"])
        self.current = nil
    }

    /// Renewed when less than a quarter of its life (at most 5 minutes) is left, so a request started with
    /// it does not outlive it.
    func needsRenewal(_ token: KeystoneToken) -> Bool {
        let life = token.expiresAt.timeIntervalSince(token.issuedAt)
        let margin = min(300, max(0, life / 4))
        return clock().addingTimeInterval(margin) >= token.expiresAt
    }

    private func renew(reason: String) async throws -> KeystoneToken {
        if let renewal { return try await renewal.value }
        guard case .keystone(let issue) = source else { preconditionFailure("renewing a fixed token") }
        let task = Task { try await issue() }
        renewal = task
        defer { renewal = nil }
        let token = try await task.value
        current = token
        issued += 1
        logger.debug("token issued", metadata: ["reason": "\(reason)", "token": "\(token)"])
        return token
    }
}
