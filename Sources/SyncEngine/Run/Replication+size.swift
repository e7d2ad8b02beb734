import AsyncHTTPClient
import CatalogDiff
import Logging
import OpenStackAPI

extension Replication {
    /// `size SOURCE`: the count and bytes of the in-scope images, from one listing (no per-image request).
    public static func size(
        source location: ImageLocation,
        options: ReplicationOptions,
        logger: Logger
    ) async throws
        -> SizeReport
    {
        let sessions = try CloudSessions(locations: [location], token: options.token, environment: options.environment)
        return try await HTTPClient.withHTTPClient(configuration: sessions.configuration(.replicator, logger: logger)) {
            http in
            let tokens = sessions.providers(http: http, logger: logger)
            let source = try await CatalogEndpoint.resolve(
                location,
                http: http,
                tokens: tokens.side(options.sourceToken),
                logger: logger
            )
            let images = try await source.listImages()
            logger.info("listed source", metadata: ["images": "\(images.count)", "source": "\(source.name)"])
            return SizeReport(source: source.name, catalog: images, scope: options.scope)
        }
    }
}
