import CatalogDiff
import Foundation

extension GlanceClient {
    /// `POST /v2/images/{id}/import` with the `glance-direct` method: Glance moves the staged data into its
    /// store in a task of its own.
    func importStaged(_ id: String) async throws {
        struct Method: Encodable { var name: String }
        struct Body: Encodable { var method: Method }
        _ = try await sendJSON(
            .POST,
            "/v2/images/\(id)/import",
            json: Body(method: Method(name: "glance-direct")),
            expected: [202]
        )
    }

    /// Polls an image under import until Glance makes it `active`; fails when Glance records the import
    /// as failed (`os_glance_failed_import`), the image goes away, or `timeout` passes.
    func waitForImport(_ id: String, timeout: Duration) async throws -> ImageRecord {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Duration.milliseconds(200)
        while true {
            guard let record = try await image(id) else {
                throw ReplicatorError.dataMismatch("image \(id) vanished from \(endpoint.root) during its import")
            }
            if record.status == ImageStatus.active { return record }
            if let failed = record.properties["os_glance_failed_import"], !failed.isEmpty {
                throw ReplicatorError.dataMismatch(
                    "the glance-direct import of image \(id) failed on \(endpoint.root) "
                        + "(os_glance_failed_import: \(failed), status \(record.status))"
                )
            }
            guard clock.now < deadline else {
                throw ReplicatorError.unreachable(
                    endpoint.root,
                    reason: "the import of image \(id) did not finish within \(timeout) (status \(record.status))"
                )
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(2))
        }
    }
}
