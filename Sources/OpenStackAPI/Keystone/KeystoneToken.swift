import CatalogDiff
import Foundation

/// A project-scoped Keystone v3 token: the secret itself (from `X-Subject-Token`), when it expires, and
/// the service catalog that says where Glance is in each region.
///
/// `description` leaves the secret out, so a token may appear in logs and errors.
public struct KeystoneToken: Sendable, Hashable, CustomStringConvertible {
    public struct Endpoint: Sendable, Hashable, Decodable {
        public var interface: String
        public var region: String?
        public var url: String

        enum CodingKeys: String, CodingKey {
            case interface
            case region
            case regionID = "region_id"
            case url
        }

        public init(interface: String, region: String?, url: String) {
            self.interface = interface
            self.region = region
            self.url = url
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            interface = try container.decode(String.self, forKey: .interface)
            // region_id is the current name; region the legacy one (both present and equal in Keystone 30).
            region =
                try container.decodeIfPresent(String.self, forKey: .regionID)
                ?? container.decodeIfPresent(String.self, forKey: .region)
            url = try container.decode(String.self, forKey: .url)
        }
    }

    public struct Service: Sendable, Hashable, Decodable {
        public var type: String
        public var endpoints: [Endpoint]
    }

    /// The secret sent as X-Auth-Token.
    public let value: String
    public let issuedAt: Date
    public let expiresAt: Date
    public let projectID: String?
    public let projectName: String?
    public let roles: [String]
    public let catalog: [Service]

    public init(
        value: String,
        issuedAt: Date,
        expiresAt: Date,
        projectID: String? = nil,
        projectName: String? = nil,
        roles: [String] = [],
        catalog: [Service] = []
    ) {
        self.value = value
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.projectID = projectID
        self.projectName = projectName
        self.roles = roles
        self.catalog = catalog
    }

    /// The body of `POST /v3/auth/tokens` (201) with the secret from its `X-Subject-Token` header.
    public init(subjectToken: String, body: Data) throws {
        let decoded = try JSONDecoder().decode(Body.self, from: body)
        guard let issued = Self.date(decoded.token.issuedAt), let expires = Self.date(decoded.token.expiresAt) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "expires_at/issued_at are not ISO 8601 dates")
            )
        }
        self.init(
            value: subjectToken,
            issuedAt: issued,
            expiresAt: expires,
            projectID: decoded.token.project?.id,
            projectName: decoded.token.project?.name,
            roles: (decoded.token.roles ?? []).map(\.name),
            catalog: decoded.token.catalog ?? []
        )
    }

    private struct Body: Decodable {
        struct Token: Decodable {
            struct Named: Decodable {
                var id: String?
                var name: String
            }

            var issuedAt: String
            var expiresAt: String
            var project: Named?
            var roles: [Named]?
            var catalog: [Service]?

            enum CodingKeys: String, CodingKey {
                case issuedAt = "issued_at"
                case expiresAt = "expires_at"
                case project, roles, catalog
            }
        }

        var token: Token
    }

    /// Keystone writes `2026-11-25T20:39:23.000000Z` (microseconds); other deployments omit the fraction.
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// The image endpoint of `region` (or of the only region that has one) for `interface`.
    public func imageEndpoint(
        cloud: String,
        region: String?,
        interface: String
    ) throws(ReplicatorError) -> (
        region: String?, url: String
    ) {
        let endpoints = catalog.filter { $0.type == "image" }.flatMap(\.endpoints)
        guard !endpoints.isEmpty else {
            throw ReplicatorError.noImageEndpoint(cloud: cloud, region: region, interface: interface)
        }
        let regions = Array(Set(endpoints.compactMap(\.region))).sorted()
        let chosen: String?
        if let region {
            guard endpoints.contains(where: { $0.region == region }) else {
                throw ReplicatorError.unknownRegion(cloud: cloud, region: region, known: regions)
            }
            chosen = region
        } else if regions.count > 1 {
            throw ReplicatorError.ambiguousRegion(cloud: cloud, regions: regions)
        } else {
            chosen = regions.first
        }
        guard let endpoint = endpoints.first(where: { $0.region == chosen && $0.interface == interface }) else {
            throw ReplicatorError.noImageEndpoint(cloud: cloud, region: chosen, interface: interface)
        }
        return (chosen, endpoint.url)
    }

    public var description: String {
        "token for project \(projectName ?? projectID ?? "?") expiring \(expiresAt) (roles \(roles.sorted().joined(separator: ",")))"
    }
}
