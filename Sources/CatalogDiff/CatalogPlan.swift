/// The diff of one source catalog against one target catalog, and what replication would do about it.
///
/// Pure: built from two listings, no I/O. Images are matched by id, case-sensitively (Glance stores ids
/// as given), because replication preserves ids across regions.
public struct CatalogPlan: Sendable, Hashable {
    /// Per image, sorted by name then id so reports are stable between runs.
    public var images: [ImagePlan]
    /// Set when `--prune` found more to delete than `--max-delete` allows (and so deletes nothing).
    public var pruneRefused: PruneRefusal?

    public init(images: [ImagePlan], pruneRefused: PruneRefusal? = nil) {
        self.images = images
        self.pruneRefused = pruneRefused
    }

    /// Plans `target` against `source`.
    ///
    /// - Parameters:
    ///   - source: every image the source lists (any status, any visibility): an image the source holds out
    ///     of scope is not the target's `extra`.
    ///   - target: every image the target lists.
    public init(
        source: [ImageRecord],
        target: [ImageRecord],
        scope: ImageScope,
        rules: FieldRules,
        options: PlanOptions = PlanOptions()
    ) {
        var sourceIDs = Set<String>(minimumCapacity: source.count)
        for image in source { sourceIDs.insert(image.id) }
        var targetByID: [String: ImageRecord] = Dictionary(minimumCapacity: target.count)
        for image in target { targetByID[image.id] = image }
        var contents: ContentIndex?
        var plans: [ImagePlan] = []
        plans.reserveCapacity(source.count)
        for image in source where scope.containsSource(image) {
            var plan = Self.plan(image, against: targetByID[image.id], rules: rules)
            if plan.state == .missing {
                // Built on first need: in a catalog in sync nothing is missing and the index is never paid for.
                if contents == nil { contents = ContentIndex(target) }
                if let twin = contents?.twin(of: image) {
                    plan.state = .sameContentOtherID
                    plan.sameContentAs = twin.id
                    if !options.copyDuplicates { plan.action = .ignore }
                }
            }
            plans.append(plan)
        }
        var deletions: [Int] = []
        for image in target where !sourceIDs.contains(image.id) && scope.containsTarget(image) {
            let prunable = options.prune?.allows(image) ?? false
            if prunable { deletions.append(plans.count) }
            plans.append(
                ImagePlan(id: image.id, state: .extra, action: prunable ? .delete : .ignore, source: nil, target: image)
            )
        }
        var refusal: PruneRefusal?
        if let prune = options.prune, deletions.count > prune.maxDelete {
            refusal = PruneRefusal(candidates: deletions.count, maxDelete: prune.maxDelete)
            for index in deletions { plans[index].action = .ignore }
        }
        plans.sort { ($0.name ?? "", $0.id) < ($1.name ?? "", $1.id) }
        self.init(images: plans, pruneRefused: refusal)
    }

    static func plan(_ source: ImageRecord, against target: ImageRecord?, rules: FieldRules) -> ImagePlan {
        guard let target, target.hasData else {
            // No record, or an empty one (e.g. left `queued` by an interrupted upload): copy into it.
            return ImagePlan(id: source.id, state: .missing, action: .copy, source: source, target: target)
        }
        switch DataComparison(source: source, target: target) {
        case .different(let fields), .unverifiable(let fields):
            return ImagePlan(
                id: source.id,
                state: .dataConflict,
                action: .conflict,
                source: source,
                target: target,
                changes: fields
            )
        case .same:
            let changes = rules.changes(from: source, to: target)
            return ImagePlan(
                id: source.id,
                state: changes.isEmpty ? .inSync : .metadataDrift,
                action: changes.isEmpty ? .none : .updateMetadata,
                source: source,
                target: target,
                changes: changes
            )
        }
    }

    public var summary: PlanSummary { PlanSummary(images) }
}

/// The target's images with data, by hash, to find a missing image's data under another id.
struct ContentIndex {
    private var byMD5: [String: [ImageRecord]] = [:]
    private var byMultihash: [String: [ImageRecord]] = [:]

    init(_ images: [ImageRecord]) {
        for image in images where image.status == ImageStatus.active && image.hasData {
            if let md5 = image.checksum { byMD5[md5.lowercased(), default: []].append(image) }
            if let hash = image.osHashValue { byMultihash[hash.lowercased(), default: []].append(image) }
        }
    }

    /// A target image other than `image`'s id whose data is provably the same (`DataComparison.same`:
    /// equal size and every shared hash agrees); the smallest id when several are.
    func twin(of image: ImageRecord) -> ImageRecord? {
        guard image.hasData else { return nil }
        var candidates: [ImageRecord] = []
        if let md5 = image.checksum { candidates += byMD5[md5.lowercased()] ?? [] }
        if let hash = image.osHashValue { candidates += byMultihash[hash.lowercased()] ?? [] }
        return
            candidates
            .filter { $0.id != image.id && DataComparison(source: image, target: $0) == .same }
            .min { $0.id < $1.id }
    }
}

/// Counts per state and the bytes replication would copy.
public struct PlanSummary: Sendable, Hashable, Encodable {
    public var inSync = 0
    public var missing = 0
    public var metadataDrift = 0
    public var dataConflict = 0
    public var extra = 0
    public var sameContentOtherID = 0
    public var bytesToCopy: Int64 = 0
    /// `extra` images `--prune` deletes (or would, in a dry run).
    public var toDelete = 0

    enum CodingKeys: String, CodingKey {
        case inSync = "in_sync"
        case missing
        case metadataDrift = "metadata_drift"
        case dataConflict = "data_conflict"
        case extra
        case sameContentOtherID = "same_content_other_id"
        case bytesToCopy = "bytes_to_copy"
        case toDelete = "to_delete"
    }

    public init<S: Sequence>(_ plans: S) where S.Element == ImagePlan {
        for plan in plans {
            switch plan.state {
            case .inSync: inSync += 1
            case .missing: missing += 1
            case .metadataDrift: metadataDrift += 1
            case .dataConflict: dataConflict += 1
            case .extra: extra += 1
            case .sameContentOtherID: sameContentOtherID += 1
            }
            if plan.action == .copy { bytesToCopy += plan.bytes }
            if plan.action == .delete { toDelete += 1 }
        }
    }

    /// Whether the catalogs differ in any way (an `extra` image counts).
    public var hasDifferences: Bool {
        missing + metadataDrift + dataConflict + extra + sameContentOtherID > 0
    }
}
