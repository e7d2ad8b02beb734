import CatalogDiff
import Foundation
import NIOCore
import NIOFoundationCompat

extension GlanceClient {
    /// `GET /v2/images/{id}`: the image's JSON exactly as Glance sent it, with the record decoded from it;
    /// `nil` when the image is gone. A dump keeps these bytes untouched.
    package func imageJSON(_ id: String) async throws -> (raw: Data, record: ImageRecord)? {
        let response = try await send(.GET, "/v2/images/\(Self.segment(id))", expected: [200, 404])
        if response.status == 404 { return nil }
        let record = try decode(ImageRecord.self, from: response, request: "GET /v2/images/\(id)")
        return (Data(buffer: response.body), record)
    }
}
