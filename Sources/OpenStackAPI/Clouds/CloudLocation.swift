import CatalogDiff

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
    package init(parsing text: String, environment: [String: String]) throws(ReplicatorError) {
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
