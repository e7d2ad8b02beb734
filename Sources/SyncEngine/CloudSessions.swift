import AsyncHTTPClient
import Foundation
import Logging
import NIOSSL

/// The clouds a run names, resolved before anything is listed: one `CloudConfig` and one token provider
/// per cloud, so two regions of a cloud share one Keystone token, and the run's TLS settings.
///
/// Built in two steps because the HTTP client is configured from the clouds' TLS settings: `init` reads
/// clouds.yaml (no network), `endpoint(for:http:logger:)` authenticates on first use of a cloud.
public struct CloudSessions: Sendable {
    public let clouds: [String: CloudConfig]
    /// The one cacert/verify setting of every cloud the run names (system CAs when none asks otherwise).
    public let tls: CloudConfig.TLS
    /// `--token` / OS_AUTH_TOKEN for the bare endpoints.
    let fixedToken: String?

    /// Looks up the clouds `locations` name (clouds.yaml only when one does).
    public init(
        locations: [ImageLocation],
        token: String?,
        environment: [String: String],
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ReplicatorError) {
        fixedToken = token
        let names = Set(
            locations.compactMap { location -> String? in
                if case .cloud(let cloud) = location { return cloud.name }
                return nil
            }
        )
        var clouds: [String: CloudConfig] = [:]
        if !names.isEmpty {
            let file = try CloudsFile.load(environment: environment, currentDirectory: currentDirectory)
            for name in names.sorted() { clouds[name] = try file.cloud(name, environment: environment) }
        }
        self.clouds = clouds
        tls = try Self.commonTLS(clouds.values.sorted { $0.name < $1.name })
        if let caFile = tls.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ReplicatorError.cloudConfig("cacert \(caFile)", "no such readable file (cacert or OS_CACERT)")
        }
    }

    static func commonTLS(_ clouds: [CloudConfig]) throws(ReplicatorError) -> CloudConfig.TLS {
        guard let first = clouds.first else { return .system }
        for cloud in clouds.dropFirst() where cloud.tls != first.tls {
            throw ReplicatorError.tlsConflict("cloud \(first.name)", "cloud \(cloud.name)")
        }
        return first.tls
    }

    /// The HTTP client configuration for the run: `base` with the clouds' CA bundle or, when asked,
    /// without certificate verification (warned about on the logger).
    public func configuration(_ base: HTTPClient.Configuration, logger: Logger) -> HTTPClient.Configuration {
        var configuration = base
        guard tls != .system else { return configuration }
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if let caFile = tls.caFile { tlsConfiguration.trustRoots = .file(caFile) }
        if !tls.verify {
            tlsConfiguration.certificateVerification = .none
            logger.warning(
                "TLS certificates are not verified (verify: false or OS_INSECURE): anyone on the path can read the credentials",
                metadata: ["clouds": "\(clouds.keys.sorted().joined(separator: ","))"]
            )
        }
        configuration.tlsConfiguration = tlsConfiguration
        return configuration
    }

    /// One token provider per cloud, created for one HTTP client.
    public func providers(http: HTTPClient, logger: Logger) -> Providers {
        var byCloud: [String: TokenProvider] = [:]
        for (name, cloud) in clouds {
            byCloud[name] = TokenProvider(
                keystone: KeystoneClient(cloud: cloud, http: http, logger: logger),
                logger: logger
            )
        }
        return Providers(clouds: clouds, byCloud: byCloud, fixed: TokenProvider(fixed: fixedToken))
    }

    /// The token providers of one run.
    public struct Providers: Sendable {
        let clouds: [String: CloudConfig]
        let byCloud: [String: TokenProvider]
        let fixed: TokenProvider

        /// The Glance endpoint of a location and the provider of its tokens (a cloud authenticates here).
        func glance(for location: CloudLocation) async throws -> (GlanceEndpoint, TokenProvider) {
            guard let cloud = clouds[location.name], let provider = byCloud[location.name] else {
                throw ReplicatorError.unknownCloud(location.name, file: nil, searched: [], known: clouds.keys.sorted())
            }
            let token = try await provider.keystoneToken()
            let region = try location.region ?? cloud.defaultRegion()
            let found = try token.imageEndpoint(cloud: cloud.name, region: region, interface: cloud.interface)
            do {
                return (try GlanceEndpoint(url: found.url), provider)
            } catch {
                throw ReplicatorError.malformedResponse(
                    cloud.authURL,
                    request: "the catalog of cloud \(cloud.name)",
                    detail: "image endpoint '\(found.url)' is not a URL"
                )
            }
        }
    }
}
