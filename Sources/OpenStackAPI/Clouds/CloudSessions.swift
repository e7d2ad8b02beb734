import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import NIOSSL

/// The clouds a run names, resolved before anything is listed: one `CloudConfig` and one token provider
/// per cloud, so two regions of a cloud share one Keystone token, and the TLS settings of each side.
///
/// TLS is set per request, never on the run's HTTP client: a cloud's `verify: false` or CA bundle applies to
/// its own Keystone and Glance only, and `http(s)://` endpoints get OS_CACERT (`--os-cacert`) or the system
/// CAs, so clouds with different TLS settings share one run.
public struct CloudSessions: Sendable {
    public let clouds: [String: CloudConfig]
    /// The TLS settings of `http(s)://` and HOST:PORT endpoints: OS_CACERT's bundle, else the system CAs.
    public let urlTLS: CloudConfig.TLS
    /// `--token` / OS_AUTH_TOKEN for the bare endpoints.
    let fixedToken: String?

    /// Looks up the clouds a run names (clouds.yaml only when it names one); `endpoints`: the Glance endpoints
    /// it names by URL, whose CA bundle must then be readable.
    package init(
        clouds locations: [CloudLocation],
        endpoints: [GlanceEndpoint],
        token: String?,
        environment: [String: String],
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ReplicatorError) {
        fixedToken = token
        let names = Set(locations.map(\.name))
        var clouds: [String: CloudConfig] = [:]
        if !names.isEmpty {
            let file = try CloudsFile.load(environment: environment, currentDirectory: currentDirectory)
            for name in names.sorted() { clouds[name] = try file.cloud(name, environment: environment) }
        }
        self.clouds = clouds
        for cloud in clouds.values { try cloud.tls.requireReadable("cacert or OS_CACERT") }
        let caFile = environment["OS_CACERT"].flatMap { $0.isEmpty ? nil : CloudConfig.TLS.expandingTilde($0) }
        urlTLS = CloudConfig.TLS(caFile: caFile)
        if endpoints.contains(where: \.isHTTPS) { try urlTLS.requireReadable("--os-cacert or OS_CACERT") }
    }

    /// The HTTP client configuration for the run (TLS is set per request); warns on the logger about each
    /// cloud whose certificates are not verified.
    public func configuration(_ base: HTTPClient.Configuration, logger: Logger) -> HTTPClient.Configuration {
        for cloud in clouds.values.sorted(by: { $0.name < $1.name }) where !cloud.tls.verify {
            let message =
                "TLS certificates are not verified for cloud \(cloud.name) (verify: false, insecure or OS_INSECURE): "
                + "anyone on the path can read its credentials"
            logger.warning("\(message)", metadata: ["cloud": "\(cloud.name)"])
        }
        return base
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
        return Providers(clouds: clouds, byCloud: byCloud, fixed: TokenProvider(fixed: fixedToken), urlTLS: urlTLS)
    }

    /// The token providers of one run.
    public struct Providers: Sendable {
        let clouds: [String: CloudConfig]
        let byCloud: [String: TokenProvider]
        package let fixed: TokenProvider
        /// The TLS settings of the bare endpoints.
        package let urlTLS: CloudConfig.TLS

        /// The Glance endpoint of a location and the provider of its tokens (a cloud authenticates here).
        package func glance(
            for location: CloudLocation
        ) async throws -> (GlanceEndpoint, TokenProvider, CloudConfig.TLS) {
            guard let cloud = clouds[location.name], let provider = byCloud[location.name] else {
                throw ReplicatorError.unknownCloud(location.name, file: nil, searched: [], known: clouds.keys.sorted())
            }
            let token = try await provider.keystoneToken()
            let region = try location.region ?? cloud.defaultRegion()
            let found = try token.imageEndpoint(cloud: cloud.name, region: region, interface: cloud.interface)
            do {
                return (try GlanceEndpoint(url: found.url), provider, cloud.tls)
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
