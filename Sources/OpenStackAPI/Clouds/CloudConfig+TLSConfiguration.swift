import NIOSSL

extension CloudConfig.TLS {
    /// What requests to this side send as their TLS configuration: nil for the HTTP client's default
    /// (system CAs, verified), else the named CA bundle or, when asked, no verification at all.
    var configuration: TLSConfiguration? {
        guard self != .system else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.trustRoots = .file(caFile) }
        if !verify { configuration.certificateVerification = .none }
        return configuration
    }
}
