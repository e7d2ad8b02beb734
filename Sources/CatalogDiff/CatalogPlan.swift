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
        // Positions, not records: a 100 000-image catalog's records are too large to hold twice.
        var targetByID: [String: Int] = Dictionary(minimumCapacity: target.count)
        for (index, image) in target.enumerated() { targetByID[image.id] = index }
        var contents: ContentIndex?
        // Sized exactly: a plan is 480 bytes, and an array that outgrows its capacity doubles it.
        let extras = target.indices.filter { !sourceIDs.contains(target[$0].id) && scope.containsTarget(target[$0]) }
        var plans: [ImagePlan] = []
        plans.reserveCapacity(source.lazy.filter { scope.containsSource($0) }.count + extras.count)
        for image in source where scope.containsSource(image) {
            var plan = Self.plan(image, against: targetByID[image.id].map { target[$0] }, rules: rules)
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
        for image in extras.lazy.map({ target[$0] }) {
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
        Self.sortForReport(&plans)
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
            // Most images of a catalog are in sync: prove that field by field before building the change list.
            let changes = rules.provablyEqual(source, target) ? [] : rules.changes(from: source, to: target)
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

    /// By name, then id. The keys are sorted, then the plans moved into place by following the
    /// permutation's cycles: sorting the plans themselves would copy two image records per comparison, and
    /// a sorted copy would hold every plan twice.
    static func sortForReport(_ plans: inout [ImagePlan]) {
        let keys = plans.map { ($0.name ?? "", $0.id) }
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        // order[i] is the index of the plan that belongs at i.
        var placed = [Bool](repeating: false, count: plans.count)
        for start in plans.indices where !placed[start] {
            var position = start
            while true {
                placed[position] = true
                let next = order[position]
                if next == start { break }
                plans.swapAt(position, next)
                position = next
            }
        }
    }
}

/// The target's images with data, by hash, to find a missing image's data under another id.
///
/// Holds positions in the target listing, not records, and hashes as listed when they are already lower
/// case (Glance writes them so): for a 100 000-image target this is a few megabytes, not a copy of it.
struct ContentIndex {
    private let images: [ImageRecord]
    private var byMD5: [String: Int] = [:]
    private var byMultihash: [String: Int] = [:]
    /// Further images sharing a hash with the one in `byMD5`/`byMultihash` (duplicates among themselves).
    private var moreByMD5: [String: [Int]] = [:]
    private var moreByMultihash: [String: [Int]] = [:]

    init(_ images: [ImageRecord]) {
        self.images = images
        byMD5.reserveCapacity(images.count)
        byMultihash.reserveCapacity(images.count)
        for (index, image) in images.enumerated() where image.status == ImageStatus.active && image.hasData {
            if let md5 = image.checksum { Self.add(index, Self.key(md5), &byMD5, &moreByMD5) }
            if let hash = image.osHashValue { Self.add(index, Self.key(hash), &byMultihash, &moreByMultihash) }
        }
    }

    private static func add(_ index: Int, _ key: String, _ first: inout [String: Int], _ more: inout [String: [Int]]) {
        if first[key] == nil {
            first[key] = index
        } else {
            more[key, default: []].append(index)
        }
    }

    private static func key(_ hash: String) -> String {
        hash.utf8.contains { (65...90).contains($0) } ? hash.lowercased() : hash
    }

    /// A target image other than `image`'s id whose data is provably the same (`DataComparison.same`:
    /// equal size and every shared hash agrees); the smallest id when several are.
    func twin(of image: ImageRecord) -> ImageRecord? {
        guard image.hasData else { return nil }
        var candidates: [Int] = []
        if let md5 = image.checksum.map(Self.key) {
            candidates += (byMD5[md5].map { [$0] } ?? []) + (moreByMD5[md5] ?? [])
        }
        if let hash = image.osHashValue.map(Self.key) {
            candidates += (byMultihash[hash].map { [$0] } ?? []) + (moreByMultihash[hash] ?? [])
        }
        return
            candidates
            .lazy.map { images[$0] }
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
