import AsyncHTTPClient
import CatalogDiff
import Logging
import NIOCore
import OpenStackAPI

/// One side of a run as the engine uses it: a live Glance endpoint or a dump directory.
///
/// This is the seam that lets `dir:` locations take part in every command without the orchestration or
/// the copy path knowing files from HTTP: a run lists each side through `listImages()`, and a copy reads
/// the source's bytes through `openData(...)`. Writing stays Glance-only (a dump is written by `dump`).
enum CatalogEndpoint: Sendable {
    case glance(GlanceClient)
    case dump(DumpDirectory)

    /// Whether images here have a status replication sets (`active`/`deactivated`): a Glance catalog's; a
    /// dump directory holds files, which are neither.
    var replicatesStatus: Bool {
        if case .glance = self { true } else { false }
    }

    /// The side a location names; a `cloud:` location authenticates with its Keystone first (its token is
    /// shared with the cloud's other regions) and takes Glance's URL from the catalog.
    static func resolve(
        _ location: ImageLocation,
        http: HTTPClient,
        tokens: CloudSessions.Providers,
        logger: Logger
    ) async throws -> CatalogEndpoint {
        switch location {
        case .glance(let endpoint):
            return .glance(
                GlanceClient(endpoint: endpoint, http: http, tokens: tokens.fixed, tls: tokens.urlTLS, logger: logger)
            )
        case .dump(let directory):
            return .dump(directory)
        case .cloud(let cloud):
            let (endpoint, provider, tls) = try await tokens.glance(for: cloud)
            var logger = logger
            logger[metadataKey: "location"] = "\(cloud)"
            logger.debug("resolved", metadata: ["glance": "\(endpoint.root)"])
            return .glance(GlanceClient(endpoint: endpoint, http: http, tokens: provider, tls: tls, logger: logger))
        }
    }

    /// Refuses, before anything is listed, a run that would write into a dump directory (only `dump` writes
    /// one): a usage error, so nothing was attempted.
    static func requireWritable(_ targets: [ImageLocation], when writes: Bool) throws(ReplicatorError) {
        guard writes else { return }
        for case .dump(let directory) in targets {
            throw ReplicatorError.readOnlyLocation(directory.description, command: "replicate")
        }
    }

    /// How reports, logs and the provenance property name this side.
    var name: String {
        switch self {
        case .glance(let client): client.endpoint.root
        case .dump(let directory): directory.description
        }
    }

    /// Every image this side holds (see `GlanceClient.listImages()` and `DumpDirectory.listCatalog(logger:)`);
    /// with `shared`, values equal to that catalog's are held once (`SharedRecords`).
    func listImages(sharing shared: SharedRecords? = nil) async throws -> [ImageRecord] {
        switch self {
        case .glance(let client): try await client.listImages(sharing: shared)
        case .dump(let directory):
            try directory.listCatalog(logger: Logger(label: "glance-replicator"), sharing: shared)
        }
    }

    /// The data of a source image as one byte stream (a resumable download, or the dump's `.img` file).
    func openData(of image: ImageRecord, size: Int64, maxResumes: Int, logger: Logger) throws -> ImageBytes {
        switch self {
        case .glance(let client):
            ImageBytes(
                base: .download(
                    ResumableDownload(
                        client: client,
                        imageID: image.id,
                        size: size,
                        maxResumes: maxResumes,
                        logger: logger
                    )
                )
            )
        case .dump(let directory):
            ImageBytes(base: .file(try directory.openData(image.id, size: size)))
        }
    }
}

/// An image's bytes from either kind of source, as one concrete sequence type for the copy path.
struct ImageBytes: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    enum Base: Sendable {
        case download(ResumableDownload)
        case file(DumpFileBytes)
    }

    let base: Base

    func makeAsyncIterator() -> Iterator {
        switch base {
        case .download(let download): Iterator(base: .download(download.makeAsyncIterator()))
        case .file(let file): Iterator(base: .file(file.makeAsyncIterator()))
        }
    }

    struct Iterator: AsyncIteratorProtocol {
        enum Base {
            case download(ResumableDownload.Iterator)
            case file(DumpFileBytes.Iterator)
        }

        var base: Base

        mutating func next() async throws -> ByteBuffer? {
            switch base {
            case .download(var iterator):
                defer { base = .download(iterator) }
                return try await iterator.next()
            case .file(var iterator):
                defer { base = .file(iterator) }
                return try await iterator.next()
            }
        }
    }
}
