import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real Glance regions the integration tests run against, started by `scripts/test`
/// (`scripts/glance-regions up`), which exports their URLs and data directory.
package enum RealRegions {
    package static let environment = ProcessInfo.processInfo.environment

    package static var a: GlanceTestClient? { environment["GLANCE_REGION_A_URL"].map(GlanceTestClient.init) }
    package static var b: GlanceTestClient? { environment["GLANCE_REGION_B_URL"].map(GlanceTestClient.init) }
    /// A third region, for fan-out (`replicate SOURCE T1 T2`).
    package static var c: GlanceTestClient? { environment["GLANCE_REGION_C_URL"].map(GlanceTestClient.init) }
    /// Where the regions keep their data (`regions/<name>/images/<id>` for the file store).
    package static var home: String? { environment["GLANCE_HOME"] }

    /// Regions A and B with empty catalogs: every suite that writes to them starts each test from there.
    package static func emptiedAB() async throws -> (GlanceTestClient, GlanceTestClient) {
        let a = try #require(Self.a, "GLANCE_REGION_A_URL is not set")
        let b = try #require(Self.b, "GLANCE_REGION_B_URL is not set")
        try await a.wipe()
        try await b.wipe()
        return (a, b)
    }

    /// Without regions the suite is skipped with a reason, unless the test script demands it run.
    package static var available: Bool {
        a != nil && b != nil || required
    }

    /// `scripts/test` sets GLANCE_REPLICATOR_REQUIRE_INTEGRATION=1: then every suite or test that would be
    /// skipped for want of its servers (regions, Keystone, the old Glance, Chromium, short tokens) runs and
    /// fails instead, so that a green run proves they all ran.
    package static var required: Bool { environment["GLANCE_REPLICATOR_REQUIRE_INTEGRATION"] == "1" }
}

/// A minimal Glance v2 client for arranging and inspecting test state, independent of the code under test.
package struct GlanceTestClient: Sendable {
    package let root: String

    package init(_ root: String) { self.root = root }

    package struct HTTPFailure: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) { self.description = description }
    }

    @discardableResult
    package func call(
        _ method: String,
        _ path: String,
        body: Data? = nil,
        contentType: String = "application/json",
        expect: Set<Int>
    ) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: root + path)!)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let body {
            request.httpBody = body
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        }
        request.timeoutInterval = 120
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard expect.contains(status) else {
            throw HTTPFailure(description: "\(method) \(path) -> \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return (status, data)
    }

    /// Creates an image record; `fields` are Glance JSON fields (custom properties included).
    package func create(_ fields: [String: Any]) async throws {
        var fields = fields
        fields["disk_format"] = fields["disk_format"] ?? "raw"
        fields["container_format"] = fields["container_format"] ?? "bare"
        try await call("POST", "/v2/images", body: JSONSerialization.data(withJSONObject: fields), expect: [201])
    }

    package func upload(_ id: String, _ data: Data) async throws {
        try await call(
            "PUT",
            "/v2/images/\(id)/file",
            body: data,
            contentType: "application/octet-stream",
            expect: [204]
        )
    }

    /// Creates an active image holding `data`.
    package func seed(_ id: String, data: Data, _ fields: [String: Any]) async throws {
        var fields = fields
        fields["id"] = id
        let protected = fields.removeValue(forKey: "protected") as? Bool ?? false
        try await create(fields)
        try await upload(id, data)
        if protected { try await patch(id, [["op": "replace", "path": "/protected", "value": true]]) }
    }

    package func image(_ id: String) async throws -> [String: Any]? {
        let (status, data) = try await call("GET", "/v2/images/\(id)", expect: [200, 404])
        return status == 404 ? nil : try JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// The image once Glance has settled a failed upload into it: on MariaDB a region may still say `saving`
    /// for a moment before it returns the record to `queued`. Nil when there is no such image.
    package func imageOnceSettled(_ id: String) async throws -> [String: Any]? {
        var image = try await image(id)
        for _ in 0..<30 where image?["status"] as? String == "saving" {
            try await Task.sleep(for: .milliseconds(500))
            image = try await self.image(id)
        }
        return image
    }

    package func patch(_ id: String, _ operations: [[String: Any]]) async throws {
        try await call(
            "PATCH",
            "/v2/images/\(id)",
            body: JSONSerialization.data(withJSONObject: operations),
            contentType: "application/openstack-images-v2.1-json-patch",
            expect: [200]
        )
    }

    package func data(_ id: String) async throws -> Data {
        try await call("GET", "/v2/images/\(id)/file", expect: [200]).1
    }

    /// Every image, hidden ones and every visibility included.
    package func allImages() async throws -> [[String: Any]] {
        var result: [[String: Any]] = []
        for hidden in ["false", "true"] {
            var marker = ""
            while true {
                let (_, data) = try await call(
                    "GET",
                    "/v2/images?visibility=all&os_hidden=\(hidden)&limit=1000\(marker)",
                    expect: [200]
                )
                let page = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                let images = page?["images"] as? [[String: Any]] ?? []
                result += images
                guard page?["next"] != nil, let last = images.last?["id"] as? String else { break }
                marker = "&marker=\(last)"
            }
        }
        return result
    }

    /// Deletes every image (unprotecting first), so each test starts from an empty catalog.
    package func wipe() async throws {
        for image in try await allImages() {
            guard let id = image["id"] as? String else { continue }
            if image["protected"] as? Bool == true {
                try await patch(id, [["op": "replace", "path": "/protected", "value": false]])
            }
            try await call("DELETE", "/v2/images/\(id)", expect: [204, 404])
        }
    }
}

/// Random bytes of a given size (image data Glance accepts as `raw`).
package func randomData(_ count: Int) -> Data {
    var generator = SystemRandomNumberGenerator()
    var data = Data(count: count)
    data.withUnsafeMutableBytes { raw in
        var offset = 0
        while offset < count {
            var word = generator.next()
            let n = min(8, count - offset)
            withUnsafeBytes(of: &word) {
                raw.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: n)
            }
            offset += n
        }
    }
    return data
}

package func newID() -> String { UUID().uuidString.lowercased() }
