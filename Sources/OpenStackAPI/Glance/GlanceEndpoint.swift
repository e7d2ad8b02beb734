import CatalogDiff
import Foundation

/// A Glance API root, e.g. `http://127.0.0.1:9292` or `https://cloud.example/image`.
public struct GlanceEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The root without a trailing slash; API paths (`/v2/...`) are appended to it.
    public let root: String

    package init(url text: String) throws(ReplicatorError) {
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

    package init(hostPort text: String) throws(ReplicatorError) {
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
