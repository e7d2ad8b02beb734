import AsyncHTTPClient
import CatalogDiff
import Logging

extension Replication {
    /// `size SOURCE`: the count and bytes of the in-scope images, from one listing (no per-image request).
    public static func size(
        source location: ImageLocation,
        options: ReplicationOptions,
        logger: Logger
    ) async throws
        -> SizeReport
    {
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            let source = CatalogEndpoint(location, http: http, token: options.token, logger: logger)
            let images = try await source.listImages()
            logger.info("listed source", metadata: ["images": "\(images.count)", "source": "\(source.name)"])
            return SizeReport(source: source.name, catalog: images, scope: options.scope)
        }
    }
}
