/// Which image fields are compared and replicated, and which never are.
///
/// Replicated: the base fields that describe how an image boots and who sees it, its tags (as a set) and
/// every custom property. Never compared: identity, server-managed fields, the data's own size and hashes
/// (they are compared as data, not as metadata), `owner` (projects differ between clouds), Glance's
/// reserved `os_glance_*` namespace, and whatever the operator names in `--dontreplicate`.
public struct FieldRules: Sendable, Hashable {
    /// Base fields compared and replicated, in report order.
    public static let replicatedBaseFields = [
        "name", "visibility", "protected", "os_hidden", "min_disk", "min_ram", "disk_format", "container_format",
        "tags",
    ]

    /// Fields that are never compared or copied, whatever the options say.
    public static let neverCompared: Set<String> = [
        "id", "status", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "created_at",
        "updated_at", "self", "file", "schema", "stores", "locations", "direct_url", "owner",
    ]

    public static let reservedPrefixes = ["os_glance_"]

    /// Fields the operator excluded (`--dontreplicate`).
    public var excluded: Set<String>
    /// The value of `Provenance.property` written on every copy (the source's name); `nil` writes none.
    public var provenance: String?

    public init(excluded: Set<String> = [], provenance: String? = nil) {
        self.excluded = excluded
        self.provenance = provenance
    }

    /// Whether `field` (a base field or a custom property) is compared and replicated.
    public func isReplicated(_ field: String) -> Bool {
        if Self.neverCompared.contains(field) || excluded.contains(field) { return false }
        if field == Provenance.property { return false }
        return !Self.reservedPrefixes.contains(where: { field.hasPrefix($0) })
    }

    /// The replicated metadata of an image, keyed by Glance field name.
    public func metadata(of image: ImageRecord) -> [String: MetadataValue] {
        var result: [String: MetadataValue] = [:]
        let base: [String: MetadataValue] = [
            "name": image.name.map(MetadataValue.string) ?? .null,
            "visibility": .string(image.visibility.rawValue),
            "protected": .bool(image.protected),
            "os_hidden": .bool(image.osHidden),
            "min_disk": .integer(image.minDisk),
            "min_ram": .integer(image.minRam),
            "disk_format": image.diskFormat.map(MetadataValue.string) ?? .null,
            "container_format": image.containerFormat.map(MetadataValue.string) ?? .null,
            "tags": .set(image.tags),
        ]
        for (field, value) in base where isReplicated(field) {
            result[field] = value
        }
        for (field, value) in image.properties where isReplicated(field) {
            result[field] = .string(value)
        }
        return result
    }

    /// The metadata differences that would make `target` match `source`, base fields first, then custom
    /// properties by name. A property only the target has is a change to `null` (it would be removed).
    public func changes(from source: ImageRecord, to target: ImageRecord) -> [FieldChange] {
        let want = metadata(of: source)
        let have = metadata(of: target)
        let base = Self.replicatedBaseFields.filter { want[$0] != nil || have[$0] != nil }
        let custom = Set(want.keys).union(have.keys).subtracting(Self.replicatedBaseFields).sorted()
        return (base + custom).compactMap { field in
            let sourceValue = want[field] ?? .null
            let targetValue = have[field] ?? .null
            return sourceValue == targetValue
                ? nil : FieldChange(field: field, source: sourceValue, target: targetValue)
        }
    }

    /// Whether every field that could be compared is equal as stored, so `changes(from:to:)` is certainly
    /// empty. A cheap test without allocation; `false` only means the full comparison must decide.
    func provablyEqual(_ source: ImageRecord, _ target: ImageRecord) -> Bool {
        source.name == target.name && source.visibility == target.visibility && source.protected == target.protected
            && source.osHidden == target.osHidden && source.minDisk == target.minDisk && source.minRam == target.minRam
            && source.diskFormat == target.diskFormat && source.containerFormat == target.containerFormat
            && (source.tags == target.tags || Set(source.tags) == Set(target.tags))
            && source.properties == target.properties
    }

    /// Whether `field` is one of the schema's base fields (replaced in place) rather than a custom property
    /// (added or removed).
    public static func isBaseField(_ field: String) -> Bool {
        ImageRecord.baseFields.contains(field)
    }
}

/// One field whose value differs between source and target.
public struct FieldChange: Sendable, Hashable, Encodable {
    public var field: String
    public var source: MetadataValue
    public var target: MetadataValue

    public init(field: String, source: MetadataValue, target: MetadataValue) {
        self.field = field
        self.source = source
        self.target = target
    }
}
