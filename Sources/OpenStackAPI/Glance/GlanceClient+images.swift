import CatalogDiff
import Foundation
import NIOCore
import NIOHTTP1

extension GlanceClient {
    /// Glance's largest page (`api_limit_max`).
    static let pageSize = 1000
    /// The most pages one listing may take by default (ten million images at `pageSize`): past it the
    /// listing is taken as endless, and the run stops rather than hold its lock forever.
    static let maxPages = 10_000

    /// Every image the credentials can see, any status and visibility, hidden ones included.
    ///
    /// Default listings leave out other projects' community images and every `os_hidden` image, so this
    /// asks with `visibility=all`, once without and once with `os_hidden=true`, following the pages by
    /// `marker` (the server's `next` link is relative to its own root, which need not be ours). With `shared`
    /// (the other catalog of a diff), values equal to that catalog's are held once (`SharedRecords`).
    public func listImages(sharing shared: SharedRecords? = nil) async throws -> [ImageRecord] {
        var images: [ImageRecord] = []
        var seen = Set<String>()
        for hidden in [false, true] {
            var marker: String?
            // A server that hands out a marker twice (or pages without end) would keep the run, and its job's
            // lock, forever: the listing stops with one line instead (a fatal error, exit 4).
            var markers = Set<String>()
            var pages = 0
            repeat {
                var query = "visibility=all&limit=\(Self.pageSize)&sort_key=created_at&sort_dir=asc"
                if hidden { query += "&os_hidden=true" }
                if let marker { query += "&marker=\(Self.segment(marker))" }
                let path = "/v2/images?" + query
                let response = try await send(.GET, path, expected: [200])
                let page = try decode(ImageListPage.self, from: response, request: "GET /v2/images")
                for image in page.images where seen.insert(image.id).inserted {
                    images.append(shared?.sharing(image) ?? image)
                }
                pages += 1
                marker = page.next != nil && !page.images.isEmpty ? page.images.last?.id : nil
                if let marker, !markers.insert(marker).inserted {
                    throw ReplicatorError.malformedResponse(
                        endpoint.root,
                        request: "GET /v2/images",
                        detail: "the listing comes back to the page after image \(marker) (page \(pages)): it loops; "
                            + "listing stopped"
                    )
                }
                if marker != nil, pages >= pageLimit {
                    throw ReplicatorError.malformedResponse(
                        endpoint.root,
                        request: "GET /v2/images",
                        detail: "the listing goes on past \(pageLimit) pages of \(Self.pageSize): listing stopped"
                    )
                }
            } while marker != nil
        }
        logger.debug("listed", metadata: ["images": "\(images.count)"])
        return images
    }

    /// One image, or `nil` when the endpoint has none with that id (or it was deleted).
    public func image(_ id: String) async throws -> ImageRecord? {
        let response = try await send(.GET, "/v2/images/\(Self.segment(id))", expected: [200, 404])
        if response.status == 404 { return nil }
        return try decode(ImageRecord.self, from: response, request: "GET /v2/images/\(id)")
    }

    /// `POST /v2/images`. A 409 means the id is taken, by a live image or a deleted one.
    public func createImage(_ body: [String: MetadataValue]) async throws -> ImageRecord {
        let response = try await sendJSON(.POST, "/v2/images", json: body, expected: [201])
        return try decode(ImageRecord.self, from: response, request: "POST /v2/images")
    }

    /// One JSON-patch request.
    public func updateImage(_ id: String, _ operations: [PatchOperation]) async throws -> ImageRecord {
        let response = try await sendJSON(
            .PATCH,
            "/v2/images/\(Self.segment(id))",
            json: operations,
            contentType: "application/openstack-images-v2.1-json-patch",
            expected: [200]
        )
        return try decode(ImageRecord.self, from: response, request: "PATCH /v2/images/\(id)")
    }

    /// Deletes an image; one that is already gone is not an error.
    public func deleteImage(_ id: String) async throws {
        _ = try await send(.DELETE, "/v2/images/\(Self.segment(id))", expected: [204, 404])
    }
}
