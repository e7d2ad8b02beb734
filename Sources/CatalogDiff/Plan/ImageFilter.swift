/// The operator's narrowing of a run to some images (`--include-name`, `--exclude-name`, `--tag`,
/// `--property`, `--min-size`/`--max-size`, `--since`, `--image`). Every condition given must hold.
///
/// It applies to both sides alike: a source image filtered out is not planned, and a target image filtered
/// out is never `extra` (so never pruned). The empty filter lets everything through.
public struct ImageFilter: Sendable, Hashable {
    /// A name must match at least one of these (when any are given).
    public var includeNames: [NameGlob]
    /// A name matching any of these is left out. An image without a name is matched as "".
    public var excludeNames: [NameGlob]
    /// Every one of these tags must be on the image.
    public var tags: Set<String>
    /// Every one of these custom properties must have exactly this value.
    public var properties: [String: String]
    public var minSize: Int64?
    public var maxSize: Int64?
    /// Only images created at or after this instant, as Glance writes `created_at`
    /// (`YYYY-MM-DDTHH:MM:SSZ`, UTC); compared as text, which orders such timestamps correctly.
    public var createdSince: String?
    /// Only these ids (when any are given).
    public var imageIDs: Set<String>

    public init(
        includeNames: [NameGlob] = [],
        excludeNames: [NameGlob] = [],
        tags: Set<String> = [],
        properties: [String: String] = [:],
        minSize: Int64? = nil,
        maxSize: Int64? = nil,
        createdSince: String? = nil,
        imageIDs: Set<String> = []
    ) {
        self.includeNames = includeNames
        self.excludeNames = excludeNames
        self.tags = tags
        self.properties = properties
        self.minSize = minSize
        self.maxSize = maxSize
        self.createdSince = createdSince
        self.imageIDs = imageIDs
    }

    /// Whether the filter lets everything through (the common case, checked once per run).
    public var isEmpty: Bool { self == ImageFilter() }

    public func matches(_ image: ImageRecord) -> Bool {
        if !imageIDs.isEmpty, !imageIDs.contains(image.id) { return false }
        let name = image.name ?? ""
        if !includeNames.isEmpty, !includeNames.contains(where: { $0.matches(name) }) { return false }
        if excludeNames.contains(where: { $0.matches(name) }) { return false }
        if !tags.isEmpty, !tags.isSubset(of: image.tags) { return false }
        for (key, value) in properties where image.properties[key] != value { return false }
        if minSize != nil || maxSize != nil {
            // An image without data has no size to compare: it cannot satisfy a size bound.
            guard let size = image.size else { return false }
            if let minSize, size < minSize { return false }
            if let maxSize, size > maxSize { return false }
        }
        if let createdSince {
            guard let created = image.createdAt, created >= createdSince else { return false }
        }
        return true
    }
}
