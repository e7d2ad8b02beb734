import CatalogDiff
import Foundation
import NIOFoundationCompat

extension GlanceClient {
    /// `POST /v2/images/{id}/import` with the `glance-direct` method: Glance moves the staged data into its
    /// store in a task of its own.
    package func importStaged(_ id: String) async throws {
        struct Method: Encodable { var name: String }
        struct Body: Encodable { var method: Method }
        _ = try await sendJSON(
            .POST,
            "/v2/images/\(Self.segment(id))/import",
            json: Body(method: Method(name: "glance-direct")),
            expected: [202]
        )
    }

    /// `POST /v2/images/{id}/import` with `glance-download` (this Glance fetches the image with the same id
    /// from another region of its Keystone catalog, with the caller's token) or `web-download` (it fetches the
    /// source's data URL).
    package func importFromRegion(_ id: String, source: GlanceDownloadSource) async throws {
        struct Method: Encodable {
            var name: String
            var glanceImageID: String?
            var glanceRegion: String?
            var glanceServiceInterface: String?
            var uri: String?

            enum CodingKeys: String, CodingKey {
                case name, uri
                case glanceImageID = "glance_image_id"
                case glanceRegion = "glance_region"
                case glanceServiceInterface = "glance_service_interface"
            }
        }
        struct Body: Encodable { var method: Method }
        let method: Method
        switch source {
        case .region(let region, let interface):
            method = Method(
                name: source.method,
                glanceImageID: id,
                glanceRegion: region,
                glanceServiceInterface: interface
            )
        case .web(let root):
            method = Method(name: source.method, uri: "\(root)/v2/images/\(Self.segment(id))/file")
        }
        _ = try await sendJSON(
            .POST,
            "/v2/images/\(Self.segment(id))/import",
            json: Body(method: method),
            expected: [202]
        )
    }

    /// Polls an image under import until Glance makes it `active` and releases its import lock
    /// (`os_glance_import_task`, cleared a moment after: a copy-image started before then is refused); fails
    /// when Glance records the import as failed (`os_glance_failed_import`), the image goes away, or `timeout`
    /// passes.
    package func waitForImport(
        _ id: String,
        method: String = "glance-direct",
        timeout: Duration
    ) async throws -> ImageRecord {
        try await poll(id, task: "the \(method) import", timeout: timeout) { record in
            record.status == ImageStatus.active && (record.properties["os_glance_import_task"] ?? "").isEmpty
        } failed: { stores, record in
            .dataMismatch(
                "the \(method) import of image \(id) failed on \(endpoint.root) "
                    + "(os_glance_failed_import: \(stores), status \(record.status))"
            )
        }
    }

    /// Polls an image while Glance runs an import task on it, with a growing pause, until `done` holds; the
    /// task's failure (`os_glance_failed_import`, naming the stores it failed for) becomes `failed`'s error.
    func poll(
        _ id: String,
        task: String,
        timeout: Duration,
        until done: (ImageRecord) -> Bool,
        failed: (String, ImageRecord) -> ReplicatorError
    ) async throws -> ImageRecord {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Duration.milliseconds(200)
        while true {
            guard let record = try await image(id) else {
                throw ReplicatorError.dataMismatch("image \(id) vanished from \(endpoint.root) during \(task)")
            }
            if done(record) { return record }
            if let stores = record.properties["os_glance_failed_import"], !stores.isEmpty {
                throw failed(stores, record)
            }
            guard clock.now < deadline else {
                throw ReplicatorError.unreachable(
                    endpoint.root,
                    reason: "\(task) of image \(id) did not finish within \(timeout) (status \(record.status), "
                        + "in stores \(record.stores.joined(separator: ",")))"
                )
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(2))
        }
    }
}

extension GlanceClient {
    /// The import methods the endpoint offers (`GET /v2/info/import`); empty when it offers none.
    package func importMethods() async throws -> [String] {
        struct Answer: Decodable {
            struct Methods: Decodable { var value: [String] }
            var methods: Methods

            enum CodingKeys: String, CodingKey { case methods = "import-methods" }
        }
        let response = try await send(.GET, "/v2/info/import", expected: [200, 404])
        guard response.status == 200 else { return [] }
        return try decode(Answer.self, from: response, request: "GET /v2/info/import").methods.value
    }

    /// Refuses to start an import on an image that Glance is importing already (its import lock,
    /// `os_glance_import_task`): a second one would fail, or race the first.
    package func requireNoImport(on record: ImageRecord) throws {
        if let task = record.properties["os_glance_import_task"], !task.isEmpty {
            throw ReplicatorError.imageBusy(
                record.id,
                endpoint: endpoint.root,
                status: "\(record.status), import task \(task)"
            )
        }
    }

    /// The stores of a multi-store Glance (`GET /v2/info/stores`); empty where the endpoint has none
    /// (a single-store Glance answers 404 or lists nothing).
    package func listStores() async throws -> [String] {
        struct Answer: Decodable {
            struct Store: Decodable { var id: String }
            var stores: [Store]
        }
        let response = try await send(.GET, "/v2/info/stores", expected: [200, 404, 410])
        guard response.status == 200 else { return [] }
        return try decode(Answer.self, from: response, request: "GET /v2/info/stores").stores.map(\.id)
    }

    /// `POST /v2/images/{id}/import` with `copy-image`: Glance copies an active image's data into more of
    /// its stores, in a task of its own.
    package func copyImage(_ id: String, toStores stores: [String]) async throws {
        struct Method: Encodable { var name: String }
        struct Body: Encodable {
            var method: Method
            var stores: [String]
            var allStoresMustSucceed: Bool

            enum CodingKeys: String, CodingKey {
                case method, stores
                case allStoresMustSucceed = "all_stores_must_succeed"
            }
        }
        _ = try await sendJSON(
            .POST,
            "/v2/images/\(Self.segment(id))/import",
            json: Body(method: Method(name: "copy-image"), stores: stores, allStoresMustSucceed: true),
            expected: [202]
        )
    }

    /// Polls until the image is in every one of `stores`; fails when Glance records the copy as failed or
    /// `timeout` passes.
    package func waitForStores(_ id: String, _ stores: [String], timeout: Duration) async throws -> ImageRecord {
        try await poll(id, task: "copy-image", timeout: timeout) { record in
            stores.allSatisfy(record.stores.contains)
        } failed: { failedStores, _ in
            .requestFailed(
                endpoint.root,
                request: "copy-image of image \(id)",
                status: 500,
                detail: "Glance could not copy it to \(failedStores) (os_glance_failed_import)"
            )
        }
    }
}

extension GlanceClient {
    /// The newest API version the endpoint speaks (`GET /versions`, answered 300 or 200), or nil when it does
    /// not say: a proxy in front of Glance may hide the document, and then nothing is assumed missing.
    package func apiVersion() async -> GlanceAPIVersion? {
        guard let response = try? await send(.GET, "/versions", expected: [200, 300]) else { return nil }
        return GlanceAPIVersion(versionsDocument: Data(buffer: response.body))
    }
}
