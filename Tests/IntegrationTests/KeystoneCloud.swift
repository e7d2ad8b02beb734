import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real Keystone 30 and its two keystonemiddleware-guarded Glance regions that `scripts/test` starts
/// (`scripts/keystone`, `GLANCE_AUTH=keystone scripts/glance-regions`), reached through the clouds.yaml it
/// writes. Arranges test state with its own tokens, independent of the code under test; a new token for
/// each call, because `scripts/test` runs Keystone with short-lived tokens (KEYSTONE_TOKEN_EXPIRATION).
struct KeystoneCloud: Sendable {
    static var cloudsFile: String? { ProcessInfo.processInfo.environment["KEYSTONE_CLOUDS_YAML"] }
    /// The clouds.yaml `scripts/keystone` wrote is there: suites that need it say
    /// `.needs("no Keystone: ...") { KeystoneCloud.present }` (skipped without it, failed under
    /// GLANCE_REPLICATOR_REQUIRE_INTEGRATION=1).
    static var present: Bool {
        cloudsFile.map { FileManager.default.fileExists(atPath: $0) } ?? false
    }

    /// The secrets `scripts/keystone` gives its users (its defaults).
    static let secrets = ["replicator-secret", "replicator-admin-secret", "replicator-appcred-secret", "admin-secret"]

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let authURL: String
    let user: String
    let password: String
    /// Glance's URL by region, from the token's catalog.
    let glance: [String: String]

    /// A password token of `user` (project demo), as the openstack CLI would get one.
    static func login(
        user: String = "replicator-admin",
        password: String = "replicator-admin-secret"
    ) async throws -> KeystoneCloud {
        let (authURL, _, glance) = try await issue(user: user, password: password)
        return KeystoneCloud(authURL: authURL, user: user, password: password, glance: glance)
    }

    /// A token of the user and the catalog's public image endpoints by region.
    static func issue(user: String, password: String) async throws -> (String, String, [String: String]) {
        let yaml = try String(
            contentsOfFile: try cloudsFile ?? { throw Failure(description: "no clouds.yaml") }(),
            encoding: .utf8
        )
        guard let line = yaml.split(separator: "\n").first(where: { $0.contains("auth_url:") }) else {
            throw Failure(description: "no auth_url in clouds.yaml")
        }
        let authURL = line.split(separator: " ").last.map(String.init) ?? ""
        let body: [String: Any] = [
            "auth": [
                "identity": [
                    "methods": ["password"],
                    "password": ["user": ["name": user, "domain": ["id": "default"], "password": password]],
                ],
                "scope": ["project": ["name": "demo", "domain": ["id": "default"]]],
            ]
        ]
        var request = URLRequest(url: URL(string: authURL + "/auth/tokens")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, http.statusCode == 201,
            let token = http.value(forHTTPHeaderField: "X-Subject-Token"),
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let catalog = (object["token"] as? [String: Any])?["catalog"] as? [[String: Any]]
        else {
            throw Failure(description: "Keystone login failed: \(String(decoding: data, as: UTF8.self))")
        }
        var glance: [String: String] = [:]
        for service in catalog where service["type"] as? String == "image" {
            for endpoint in service["endpoints"] as? [[String: Any]] ?? []
            where endpoint["interface"] as? String == "public" {
                if let region = endpoint["region_id"] as? String, let url = endpoint["url"] as? String {
                    glance[region] = url
                }
            }
        }
        return (authURL, token, glance)
    }

    @discardableResult
    func call(
        _ method: String,
        _ url: String,
        body: Data? = nil,
        contentType: String = "application/json",
        expect: Set<Int>
    )
        async throws -> Data
    {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue(try await Self.issue(user: user, password: password).1, forHTTPHeaderField: "X-Auth-Token")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let body {
            request.httpBody = body
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard expect.contains(status) else {
            throw Failure(description: "\(method) \(url) -> \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    /// The ids of every image of the region the token sees.
    func imageIDs(_ region: String) async throws -> [String] {
        let data = try await call("GET", try root(region) + "/v2/images?limit=1000", expect: [200])
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (object?["images"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    /// The member projects of an image, sorted.
    func members(_ region: String, _ id: String) async throws -> [String] {
        let data = try await call("GET", try root(region) + "/v2/images/\(id)/members", expect: [200])
        let members = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["members"] as? [[String: Any]]
        return (members ?? []).compactMap { $0["member_id"] as? String }.sorted()
    }

    /// Makes project `member` a member of the image.
    func addMember(_ member: String, to id: String, in region: String) async throws {
        try await call(
            "POST",
            try root(region) + "/v2/images/\(id)/members",
            body: Data(#"{"member": "\#(member)"}"#.utf8),
            expect: [200]
        )
    }

    /// The owner of an image (nil when there is none).
    func owner(_ region: String, _ id: String) async throws -> String? {
        let data = try await call("GET", try root(region) + "/v2/images/\(id)", expect: [200])
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["owner"] as? String
    }

    func wipe(_ region: String) async throws {
        for id in try await imageIDs(region) {
            try await call("DELETE", try root(region) + "/v2/images/\(id)", expect: [204, 404])
        }
    }

    /// An active image of project demo holding `data` (private unless said).
    func seed(
        _ region: String,
        id: String,
        name: String,
        data: Data,
        visibility: String = "private",
        owner: String? = nil
    ) async throws {
        var fields: [String: Any] = [
            "id": id, "name": name, "disk_format": "raw", "container_format": "bare", "visibility": visibility,
        ]
        if let owner { fields["owner"] = owner }
        try await call(
            "POST",
            try root(region) + "/v2/images",
            body: JSONSerialization.data(withJSONObject: fields),
            expect: [201]
        )
        try await call(
            "PUT",
            try root(region) + "/v2/images/\(id)/file",
            body: data,
            contentType: "application/octet-stream",
            expect: [204]
        )
    }

    func root(_ region: String) throws -> String {
        guard let root = glance[region] else { throw Failure(description: "no image endpoint for \(region)") }
        return root
    }
}
