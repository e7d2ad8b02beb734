import Foundation

/// The newest image API version an endpoint speaks (`GET /versions`), and what it implies: Glance added the
/// interoperable import in v2.6 (Queens), the multihash (`os_hash_algo`/`os_hash_value`) in v2.7 (Rocky) and
/// multiple stores in v2.8 (Train). Older releases are still in service at edge sites.
public struct GlanceAPIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// The highest `vMAJOR.MINOR` whose status is CURRENT or SUPPORTED in a `/versions` document.
    public init?(versionsDocument data: Data) {
        struct Document: Decodable {
            struct Version: Decodable {
                var id: String
                var status: String?
            }
            var versions: [Version]
        }
        guard let document = try? JSONDecoder().decode(Document.self, from: data) else { return nil }
        let usable = document.versions.filter { ["CURRENT", "SUPPORTED"].contains($0.status?.uppercased() ?? "") }
        guard let newest = usable.compactMap({ Self(id: $0.id) }).max() else { return nil }
        self = newest
    }

    /// `v2.17` to 2.17.
    init?(id: String) {
        let parts = id.drop { $0 == "v" || $0 == "V" }.split(separator: ".")
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.init(major: major, minor: minor)
    }

    public static func < (left: Self, right: Self) -> Bool {
        (left.major, left.minor) < (right.major, right.minor)
    }

    public var description: String { "v\(major).\(minor)" }

    public var hasImport: Bool { self >= Self(major: 2, minor: 6) }
    public var hasMultihash: Bool { self >= Self(major: 2, minor: 7) }
    public var hasStores: Bool { self >= Self(major: 2, minor: 8) }

    /// What an endpoint of this version lacks, in words for a log line; empty when nothing.
    public var limitations: [String] {
        var missing: [String] = []
        if !hasMultihash { missing.append("no multihash (copies are verified by size and md5 only)") }
        if !hasImport { missing.append("no import methods (data is only streamed with PUT /file)") }
        if !hasStores { missing.append("no multiple stores (--stores cannot apply)") }
        return missing
    }
}
