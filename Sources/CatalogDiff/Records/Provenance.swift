/// The custom property every copy carries to name the catalog it was copied from, so that `--prune` can
/// tell the copies this tool made (and whose origin image has gone) from images the target's own users
/// uploaded. Written on create, never compared, never copied onwards (a copy of a copy names its own
/// source), never repaired.
public enum Provenance {
    /// The property's name on the target image; its value is the source's name: `--source-name`, else the
    /// cloud's name for a `cloud:` location, else a short digest of the location (never a URL, which every
    /// project that sees the image could read). Copies made before carry the source's URL.
    public static let property = "glance_replicator_source"
}

/// What planning does beyond the diff.
public struct PlanOptions: Sendable, Hashable {
    /// Copy a `same_content_other_id` image anyway (a second copy of the data under the source's id).
    public var copyDuplicates: Bool
    /// Delete `extra` images this source's copies left behind; `nil` reports them only.
    public var prune: PrunePolicy?
    /// Stores of a multi-store target every image must be in (`--stores`, `--all-stores`); nil for any.
    public var requiredStores: [String]?
    /// Whether a copy's status (`active`/`deactivated`) is compared and replicated: a Glance target's is; a
    /// dump directory has none.
    public var replicatesStatus: Bool

    public init(
        copyDuplicates: Bool = false,
        prune: PrunePolicy? = nil,
        requiredStores: [String]? = nil,
        replicatesStatus: Bool = false
    ) {
        self.copyDuplicates = copyDuplicates
        self.prune = prune
        self.requiredStores = requiredStores
        self.replicatesStatus = replicatesStatus
    }
}

/// `--prune` and `--max-delete`: an `extra` target image is deleted only when its provenance names this
/// source and it is not protected, and never more than `maxDelete` in one run. Over the limit nothing at
/// all is deleted: a sudden mass of deletions more likely means a broken source listing than a cleanup.
public struct PrunePolicy: Sendable, Hashable {
    /// The provenance value that marks this source's copies.
    public var source: String
    /// Values that marked this source's copies before: the source's URL, which copies made by versions
    /// before `--source-name` carry.
    public var formerSources: Set<String>
    public var maxDelete: Int

    public init(source: String, formerSources: Set<String> = [], maxDelete: Int = 10) {
        self.source = source
        self.formerSources = formerSources
        self.maxDelete = maxDelete
    }

    /// Whether `image` (an `extra` target image) is one this policy may delete.
    public func allows(_ image: ImageRecord) -> Bool {
        guard let value = image.properties[Provenance.property], !image.protected else { return false }
        return value == source || formerSources.contains(value)
    }
}

/// Why a run's `--prune` deleted nothing: more candidates than `--max-delete` allows.
public struct PruneRefusal: Sendable, Hashable, Encodable {
    public var candidates: Int
    public var maxDelete: Int

    enum CodingKeys: String, CodingKey {
        case candidates
        case maxDelete = "max_delete"
    }

    public init(candidates: Int, maxDelete: Int) {
        self.candidates = candidates
        self.maxDelete = maxDelete
    }

    public var message: String {
        "--prune found \(candidates) images to delete, more than --max-delete \(maxDelete): nothing was deleted; "
            + "check the source's listing, then raise --max-delete if the deletions are meant"
    }
}
