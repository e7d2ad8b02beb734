/// `--priority` rules: which images start first when a run may be cut short (an edge site's window, a
/// `--max-transfer` budget). An image matching an earlier rule goes before one matching a later rule, and
/// both before images matching none; within each group `--order` decides (smallest first by default).
public struct TransferPriority: Sendable, Hashable {
    public enum Rule: Sendable, Hashable {
        /// `tag:NAME`: the image carries the tag.
        case tag(String)
        /// `property:KEY=VALUE`: a custom property (or base field of the same name) has that value.
        case property(String, String)

        func matches(_ image: ImageRecord) -> Bool {
            switch self {
            case .tag(let name): image.tags.contains(name)
            case .property(let key, let value): image.properties[key] == value || base(key, of: image) == value
            }
        }

        private func base(_ key: String, of image: ImageRecord) -> String? {
            switch key {
            case "name": image.name
            case "visibility": image.visibility.rawValue
            case "disk_format": image.diskFormat
            case "container_format": image.containerFormat
            case "owner": image.owner
            default: nil
            }
        }
    }

    public var rules: [Rule]

    public init(rules: [Rule] = []) {
        self.rules = rules
    }

    /// Parses `tag:NAME` or `property:KEY=VALUE`; nil for anything else.
    public static func rule(_ text: String) -> Rule? {
        if text.hasPrefix("tag:"), text.count > 4 { return .tag(String(text.dropFirst(4))) }
        if text.hasPrefix("property:") {
            let body = text.dropFirst(9)
            guard let equals = body.firstIndex(of: "="), equals != body.startIndex else { return nil }
            return .property(String(body[..<equals]), String(body[body.index(after: equals)...]))
        }
        return nil
    }

    /// The rank of an image: the index of the first rule it matches, or `rules.count` for none.
    public func rank(_ image: ImageRecord) -> Int {
        rules.firstIndex { $0.matches(image) } ?? rules.count
    }

    /// `images` by rank, each rank in `order`.
    public func sorted(_ images: [ImageRecord], within order: TransferOrder) -> [ImageRecord] {
        guard !rules.isEmpty else { return order.sorted(images) }
        let ordered = order.sorted(images)
        let ranks = ordered.map(rank)
        return ordered.indices.sorted { (ranks[$0], $0) < (ranks[$1], $1) }.map { ordered[$0] }
    }
}
