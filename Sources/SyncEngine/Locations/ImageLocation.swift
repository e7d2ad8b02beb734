import Foundation

/// Where a catalog lives, as the command line names it.
///
/// `http(s)://HOST[:PORT][/PATH]` is a Glance endpoint (a trailing `/v2` is accepted and dropped);
/// `HOST:PORT` is the old glance-replicator's form, over http; `dir:PATH` is a dump directory;
/// `cloud:NAME[/REGION]` is the Glance of a cloud of clouds.yaml, found in its Keystone catalog; with OS_CLOUD
/// set, `cloud:` and `cloud:/REGION` name that cloud, and OS_REGION_NAME is its region unless one is written.
public enum ImageLocation: Sendable, Hashable, CustomStringConvertible {
    case glance(GlanceEndpoint)
    /// A dump directory (`dir:PATH`): one `<id>.json` and `<id>.img` per image.
    case dump(DumpDirectory)
    /// A region of a cloud (`cloud:NAME/REGION`, or `cloud:NAME` for a cloud with one region).
    case cloud(CloudLocation)

    /// `environment`: where OS_CLOUD and OS_REGION_NAME are read (the process's unless a test says).
    public init(
        parsing text: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ReplicatorError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("dir:") {
            self = .dump(try DumpDirectory(location: trimmed))
            return
        }
        if trimmed.hasPrefix("cloud:") {
            self = .cloud(try CloudLocation(parsing: trimmed, environment: environment))
            return
        }
        if trimmed.contains("://") {
            self = .glance(try GlanceEndpoint(url: trimmed))
        } else {
            self = .glance(try GlanceEndpoint(hostPort: trimmed))
        }
    }

    public var description: String {
        switch self {
        case .glance(let endpoint): endpoint.description
        case .dump(let directory): directory.description
        case .cloud(let cloud): cloud.description
        }
    }
}

/// `cloud:NAME[/REGION]`: a cloud name of clouds.yaml and, unless the cloud has one region, the region.
public struct CloudLocation: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let region: String?

    public init(name: String, region: String?) {
        self.name = name
        self.region = region
    }

    /// `cloud:NAME[/REGION]`; with OS_CLOUD set, an empty NAME is OS_CLOUD, and OS_REGION_NAME is the region
    /// of OS_CLOUD's cloud when none is written (as the openstack CLI takes them).
    init(parsing text: String, environment: [String: String]) throws(ReplicatorError) {
        let rest = text.dropFirst("cloud:".count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let selected = environment["OS_CLOUD"].flatMap { $0.isEmpty ? nil : $0 }
        guard var name = parts.first, parts.count == 1 || !parts[1].isEmpty else {
            throw ReplicatorError.invalidLocation(text)
        }
        if name.isEmpty {
            guard let selected else {
                throw ReplicatorError.invalidOption(
                    "'\(text)' names no cloud and OS_CLOUD is not set: write cloud:NAME[/REGION] or export OS_CLOUD"
                )
            }
            name = selected
        }
        guard !name.contains(" ") else { throw ReplicatorError.invalidLocation(text) }
        var region = parts.count == 2 ? parts[1] : nil
        if region == nil, name == selected, let named = environment["OS_REGION_NAME"], !named.isEmpty {
            region = named
        }
        self.init(name: name, region: region)
    }

    public var description: String { "cloud:\(name)" + (region.map { "/\($0)" } ?? "") }
}

/// A Glance API root, e.g. `http://127.0.0.1:9292` or `https://cloud.example/image`.
public struct GlanceEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The root without a trailing slash; API paths (`/v2/...`) are appended to it.
    public let root: String

    init(url text: String) throws(ReplicatorError) {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil
        else {
            throw ReplicatorError.invalidLocation(text)
        }
        if let port = components.port, !(1...65535).contains(port) { throw ReplicatorError.invalidLocation(text) }
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        if path.hasSuffix("/v2") { path.removeLast(3) }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        root = "\(scheme)://\(hostPart)\(components.port.map { ":\($0)" } ?? "")\(path)"
    }

    init(hostPort text: String) throws(ReplicatorError) {
        // HOST:PORT, with [v6]:PORT allowed.
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex,
            let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else {
            throw ReplicatorError.invalidLocation(text)
        }
        let host = String(text[..<colon])
        let isBracketed = host.hasPrefix("[") && host.hasSuffix("]")
        guard !host.isEmpty, isBracketed || !host.contains(":"), !host.contains("/"), !host.contains(" ") else {
            throw ReplicatorError.invalidLocation(text)
        }
        try self.init(url: "http://\(host):\(port)")
    }

    public var description: String { root }

    var isHTTPS: Bool { root.hasPrefix("https://") }
}
