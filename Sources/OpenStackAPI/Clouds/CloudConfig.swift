import CatalogDiff
import Foundation

/// One cloud of clouds.yaml (merged with secure.yaml and the OS_* environment), reduced to what a run needs
/// to get a project-scoped token from Keystone v3 and find Glance in its catalog.
///
/// Secrets live only in `auth`; `description` never shows them, so the value may be logged or interpolated
/// into an error line without leaking a password, an application-credential secret or a token.
public struct CloudConfig: Sendable, Hashable, CustomStringConvertible {
    /// A user or project named by id, or by name within a domain (itself named by id or name).
    public struct Reference: Sendable, Hashable {
        public var id: String?
        public var name: String?
        public var domainID: String?
        public var domainName: String?

        public init(id: String? = nil, name: String? = nil, domainID: String? = nil, domainName: String? = nil) {
            self.id = id
            self.name = name
            self.domainID = domainID
            self.domainName = domainName
        }

        var isEmpty: Bool { id == nil && name == nil }
    }

    /// How the cloud authenticates (`auth_type`: password, v3applicationcredential, token).
    public enum Auth: Sendable, Hashable {
        case password(user: Reference, password: String, project: Reference)
        /// Application credentials carry their own project: no scope may be sent with them.
        case applicationCredential(id: String?, name: String?, user: Reference?, secret: String)
        case token(String, project: Reference)

        var method: String {
            switch self {
            case .password: "password"
            case .applicationCredential: "v3applicationcredential"
            case .token: "token"
            }
        }
    }

    /// Where the CA bundle comes from and whether certificates are checked at all.
    public struct TLS: Sendable, Hashable {
        /// A PEM bundle trusted instead of the system CAs (`cacert`, OS_CACERT).
        public var caFile: String?
        /// false only when asked (`verify: false`, `insecure: true`, OS_INSECURE).
        public var verify: Bool

        public init(caFile: String? = nil, verify: Bool = true) {
            self.caFile = caFile
            self.verify = verify
        }

        public static let system = TLS()
    }

    public var name: String
    /// Keystone's v3 root (`.../v3`).
    public var authURL: String
    public var auth: Auth
    /// The cloud's regions as clouds.yaml lists them (`regions`, or `region_name` alone); may be empty.
    public var regions: [String]
    /// public (default), internal or admin.
    public var interface: String
    public var tls: TLS

    public init(
        name: String,
        authURL: String,
        auth: Auth,
        regions: [String] = [],
        interface: String = "public",
        tls: TLS = .system
    ) {
        self.name = name
        self.authURL = Self.v3Root(authURL)
        self.auth = auth
        self.regions = regions
        self.interface = interface
        self.tls = tls
    }

    /// openstacksdk accepts an auth_url with or without the version: the token API lives under `/v3`.
    static func v3Root(_ url: String) -> String {
        var root = url
        while root.hasSuffix("/") { root.removeLast() }
        return root.hasSuffix("/v3") ? root : root + "/v3"
    }

    /// The region a `cloud:NAME` location without one means: the cloud's only region, or nil when the
    /// catalog must decide.
    func defaultRegion() throws(ReplicatorError) -> String? {
        switch regions.count {
        case 0: return nil
        case 1: return regions[0]
        default: throw ReplicatorError.regionRequired(cloud: name, regions: regions)
        }
    }

    public var description: String {
        "cloud \(name) (\(auth.method) at \(authURL), interface \(interface))"
    }
}
