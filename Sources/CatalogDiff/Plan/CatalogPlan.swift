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
        // Positions, not records: a 100 000-image catalog's records are too large to hold twice. Only a UUID
        // is an id (`ImageRecord.invalidity`): another never matches, never becomes a URL.
        let targetByID = target.withUnsafeBufferPointer { target in
            // Read through the buffer: an array element read in a closure is copied whole.
            IDPositions(count: target.count, keeping: .last) { target[$0].hasUsableID ? target[$0].id : nil }
        }
        // Where each source image is on the target, and which target ids the source has at all (an image the
        // source holds out of scope is not the target's `extra`); on every core.
        let counterpart = Parallel.map(source.count) { source[$0].hasUsableID ? targetByID[source[$0].id] : nil }
        let inSource = counterpart.reduce(into: [Bool](repeating: false, count: target.count)) { marks, index in
            if let index { marks[index] = true }
        }
        let inScope = Parallel.map(source.count) { scope.reportsSource(source[$0]) }.indices(of: true)
        let extras = Parallel.map(target.count) { !inSource[$0] && scope.containsTarget(target[$0]) }.indices(of: true)
        // Planned on every core into one array of exactly the right size (an array that outgrows its
        // capacity doubles it): in-scope source images first, then `extra` target images.
        var plans = Parallel.map(inScope.count + extras.count) { position -> ImagePlan in
            guard position < inScope.count else {
                let image = target[extras[position - inScope.count]]
                if image.invalidity != nil {
                    return ImagePlan(id: image.id, state: .invalid, action: .ignore, source: nil, target: image)
                }
                let prunable = options.prune?.allows(image) ?? false
                return ImagePlan(
                    id: image.id,
                    state: .extra,
                    action: prunable ? .delete : .ignore,
                    source: nil,
                    target: image
                )
            }
            let index = inScope[position]
            return Self.plan(
                source[index],
                against: counterpart[index].map { target[$0] },
                rules: rules,
                replicatesStatus: options.replicatesStatus
            )
        }
        let missing = (0..<inScope.count).filter { plans[$0].state == .missing }
        if !missing.isEmpty {
            let twins = ContentIndex(missing.map { plans[$0].source! }).twins(in: target)
            for (position, index) in missing.enumerated() {
                guard let twin = twins[position] else { continue }
                plans[index].state = .sameContentOtherID
                plans[index].sameContentAs = twin
                if !options.copyDuplicates { plans[index].action = .ignore }
            }
        }
        if let required = options.requiredStores, !required.isEmpty {
            for index in plans.indices where plans[index].state == .inSync {
                guard let held = plans[index].target?.stores, !held.isEmpty else { continue }
                guard required.contains(where: { !held.contains($0) }) else { continue }
                plans[index].state = .missingInStores
                plans[index].action = .copyToStores
                plans[index].changes = [
                    FieldChange(
                        field: "stores",
                        source: .string(required.joined(separator: ",")),
                        target: .string(held.joined(separator: ","))
                    )
                ]
            }
        }
        let deletions = (inScope.count..<plans.count).filter { plans[$0].action == .delete }
        var refusal: PruneRefusal?
        if let prune = options.prune, deletions.count > prune.maxDelete {
            refusal = PruneRefusal(candidates: deletions.count, maxDelete: prune.maxDelete)
            for index in deletions { plans[index].action = .ignore }
        }
        Self.sortForReport(&plans)
        self.init(images: plans, pruneRefused: refusal)
    }

    static func plan(
        _ source: ImageRecord,
        against target: ImageRecord?,
        rules: FieldRules,
        replicatesStatus: Bool = false
    ) -> ImagePlan {
        if source.invalidity != nil {
            return ImagePlan(id: source.id, state: .invalid, action: .ignore, source: source, target: target)
        }
        let deactivated = source.status == ImageStatus.deactivated
        guard ImageStatus.hasSettledData(source.status) else {
            // Queued, importing, or an import that failed: nothing to copy yet, whatever the target holds.
            return ImagePlan(id: source.id, state: .noData, action: .ignore, source: source, target: target)
        }
        guard let target, target.hasData else {
            if deactivated {
                return ImagePlan(
                    id: source.id,
                    state: .deactivatedAtSource,
                    action: .ignore,
                    source: source,
                    target: target
                )
            }
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
            if replicatesStatus, let action = statusAction(from: source.status, to: target.status) {
                return ImagePlan(
                    id: source.id,
                    state: .statusDrift,
                    action: action,
                    source: source,
                    target: target,
                    changes: changes + [
                        FieldChange(field: "status", source: .string(source.status), target: .string(target.status))
                    ]
                )
            }
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

    /// What makes the copy's status the source's: only `active` and `deactivated` are set through the API.
    static func statusAction(from source: String, to target: String) -> PlannedAction? {
        switch (source, target) {
        case (ImageStatus.deactivated, ImageStatus.active): .deactivate
        case (ImageStatus.active, ImageStatus.deactivated): .reactivate
        default: nil
        }
    }

    public var summary: PlanSummary { PlanSummary(images) }

    /// By name, then id. The keys are sorted, then the plans moved into place by following the
    /// permutation's cycles: sorting the plans themselves would copy two image records per comparison, and
    /// a sorted copy would hold every plan twice.
    static func sortForReport(_ plans: inout [ImagePlan]) {
        let order = plans.withUnsafeBufferPointer { plans in
            // Read through the buffer: an inout array's element read in a closure is copied whole.
            let packed = Parallel.map(plans.count) { PackedName(plans[$0].name ?? "") }
            return Parallel.sortedIndices(plans.count) { a, b in
                if packed[a].isExact, packed[b].isExact, packed[a] != packed[b] { return packed[a] < packed[b] }
                return (plans[a].name ?? "", plans[a].id) < (plans[b].name ?? "", plans[b].id)
            }
        }
        // order[i] is the index of the plan that belongs at i. Swapped in the buffer, plans are moved as
        // bytes: `Array.swapAt` copies both plans (a retain and a release of every reference they hold).
        var placed = [Bool](repeating: false, count: plans.count)
        plans.withUnsafeMutableBufferPointer { plans in
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
}

extension [Bool] {
    /// The positions holding `value`.
    func indices(of value: Bool) -> [Int] {
        var result: [Int] = []
        for index in self.indices where self[index] == value { result.append(index) }
        return result
    }
}

/// The first 32 bytes of an ASCII name as four big-endian integers, zero-padded: compared as integers they
/// order as the strings do. A 100 000-image sort then compares plain integers, and touches strings (and
/// their reference counts) only to break ties and for long or non-ASCII names.
struct PackedName: Comparable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// Whether the whole name is packed (ASCII, no NUL, at most 32 bytes).
    let isExact: Bool

    init(_ name: String) {
        var words: [UInt64] = [0, 0, 0, 0]
        var count = 0
        var exact = true
        for byte in name.utf8 {
            // A NUL would pack like padding; past 32 bytes or outside ASCII, String order is not byte order.
            guard count < 32, byte != 0, byte < 0x80 else {
                exact = false
                break
            }
            words[count / 8] |= UInt64(byte) << (56 - 8 * UInt64(count % 8))
            count += 1
        }
        self.words = (words[0], words[1], words[2], words[3])
        isExact = exact
    }

    static func < (lhs: PackedName, rhs: PackedName) -> Bool { lhs.words < rhs.words }
    static func == (lhs: PackedName, rhs: PackedName) -> Bool { lhs.words == rhs.words }
}

/// The missing images by hash, to find their data on the target under another id.
///
/// Indexes the hashes of the few missing images and passes over the target once, rather than indexing the whole
/// target: for a 100 000-image target with a handful missing that is a few lookups per image, and only the
/// target images sharing a missing image's hash are held, as candidates.
struct ContentIndex {
    private let images: [ImageRecord]
    /// The md5s (with sizes) of the missing images.
    private var md5s: Set<Key> = []
    /// The multihashes (with sizes) of the missing images: all of them, and those without an md5.
    private var multihashes: Set<Key> = []
    private var multihashesWithoutMD5: Set<Key> = []

    /// A hash and the size it was taken of: two images hold the same data only if both agree.
    private struct Key: Hashable {
        var hash: String
        var size: Int64

        /// Glance writes hashes in lower case; others are compared as if it had. Nil without a hash or a size.
        init?(_ hash: String?, size: Int64?) {
            guard let hash, let size else { return nil }
            self.hash = hash.utf8.contains { (65...90).contains($0) } ? hash.lowercased() : hash
            self.size = size
        }
    }

    init(_ images: [ImageRecord]) {
        self.images = images
        for image in images where image.hasData {
            if let md5 = Key(image.checksum, size: image.size) { md5s.insert(md5) }
            if let hash = Key(image.osHashValue, size: image.size) {
                multihashes.insert(hash)
                if image.checksum == nil { multihashesWithoutMD5.insert(hash) }
            }
        }
    }

    /// Per indexed image, the id of a target image other than its own whose data is provably the same
    /// (`DataComparison.same`: equal size and every shared hash agrees); the smallest id when several are.
    ///
    /// Two images with md5s can only be the same data if the md5s match, so an indexed image with an md5 is
    /// matched by the target images with that md5, and by those without one that share its multihash; one
    /// without an md5, by every target image with its multihash. The target is passed over once (a lookup or
    /// two per image, on every core) to gather each hash's candidates, which are then tried in id order until
    /// one holds the same data: a target holding thousands of copies of one image costs each missing image
    /// one comparison, not one per copy.
    func twins(in target: [ImageRecord]) -> [String?] {
        let keys = target.withUnsafeBufferPointer { target in
            // Read through the buffer: an array element read in a closure is copied whole.
            Parallel.map(target.count) { candidateKeys(of: target[$0]) }
        }
        var byMD5: [Key: [Int]] = [:]
        var withoutMD5ByMultihash: [Key: [Int]] = [:]
        var byMultihash: [Key: [Int]] = [:]
        for (position, key) in keys.enumerated() {
            if let md5 = key.md5 { byMD5[md5, default: []].append(position) }
            if let hash = key.multihashWithoutMD5 { withoutMD5ByMultihash[hash, default: []].append(position) }
            if let hash = key.multihash { byMultihash[hash, default: []].append(position) }
        }
        func byID(_ groups: inout [Key: [Int]]) {
            for key in groups.keys { groups[key]!.sort { target[$0].id < target[$1].id } }
        }
        byID(&byMD5)
        byID(&withoutMD5ByMultihash)
        byID(&byMultihash)
        return images.map { image -> String? in
            guard image.hasData else { return nil }
            let multihash = Key(image.osHashValue, size: image.size)
            let groups: [[Int]?]
            if let md5 = Key(image.checksum, size: image.size) {
                groups = [byMD5[md5], multihash.flatMap { withoutMD5ByMultihash[$0] }]
            } else {
                groups = [multihash.flatMap { byMultihash[$0] }]
            }
            let found = groups.compactMap { group in
                group?.lazy.map { target[$0] }.first {
                    $0.id != image.id && DataComparison(source: image, target: $0) == .same
                }?.id
            }
            return found.min()
        }
    }

    /// Under which of the indexed images' hashes a target image is a candidate (nil where none is): by its md5
    /// for those with an md5, by its multihash for those without one (if it has no md5 itself), and by its
    /// multihash for those without an md5.
    private func candidateKeys(of candidate: ImageRecord) -> CandidateKeys {
        // A record the tool never acts on (`invalidity`: an id that is not a UUID, an absurd size) is no twin
        // either: its claimed hashes would keep a valid image from being copied, and its id would be reported.
        guard candidate.status == ImageStatus.active && candidate.hasData, candidate.invalidity == nil else {
            return CandidateKeys()
        }
        var keys = CandidateKeys()
        if let md5 = Key(candidate.checksum, size: candidate.size), md5s.contains(md5) { keys.md5 = md5 }
        if let hash = Key(candidate.osHashValue, size: candidate.size) {
            if candidate.checksum == nil, multihashes.contains(hash) { keys.multihashWithoutMD5 = hash }
            if multihashesWithoutMD5.contains(hash) { keys.multihash = hash }
        }
        return keys
    }

    /// A target image's keys in the candidate groups of `twins`.
    private struct CandidateKeys {
        /// Its md5 (and size), which some indexed image has.
        var md5: Key?
        /// Its multihash (and size), when it has no md5, which some indexed image has.
        var multihashWithoutMD5: Key?
        /// Its multihash (and size), which some indexed image without an md5 has.
        var multihash: Key?
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
    public var missingInStores = 0
    /// Records not acted on: an id that is not a UUID, a size out of range (`ImageState.invalid`).
    public var invalid = 0
    public var statusDrift = 0
    /// Reported, never differences: deactivated source images never copied, source images without data.
    public var deactivatedAtSource = 0
    public var noData = 0
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
        case missingInStores = "missing_in_stores"
        case invalid
        case statusDrift = "status_drift"
        case deactivatedAtSource = "deactivated_at_source"
        case noData = "no_data"
        case bytesToCopy = "bytes_to_copy"
        case toDelete = "to_delete"
    }

    public init<S: Sequence>(_ plans: S) where S.Element == ImagePlan {
        for plan in plans { add(plan) }
    }

    /// Counts an array's plans in place (iterating copies each plan, and with it two image records).
    public init(_ plans: [ImagePlan]) {
        for index in plans.indices {
            add(state: plans[index].state, action: plans[index].action, bytes: plans[index].bytes)
        }
    }

    private mutating func add(_ plan: ImagePlan) {
        add(state: plan.state, action: plan.action, bytes: plan.bytes)
    }

    private mutating func add(state: ImageState, action: PlannedAction, bytes: Int64) {
        switch state {
        case .inSync: inSync += 1
        case .missing: missing += 1
        case .metadataDrift: metadataDrift += 1
        case .dataConflict: dataConflict += 1
        case .extra: extra += 1
        case .sameContentOtherID: sameContentOtherID += 1
        case .missingInStores: missingInStores += 1
        case .invalid: invalid += 1
        case .statusDrift: statusDrift += 1
        case .deactivatedAtSource: deactivatedAtSource += 1
        case .noData: noData += 1
        }
        if action == .copy { bytesToCopy = bytesToCopy.addingSaturated(bytes) }
        if action == .delete { toDelete += 1 }
    }

    /// Whether the catalogs differ in any way (an `extra` image counts; `deactivated_at_source` and `no_data`
    /// do not: there is nothing the target should hold).
    public var hasDifferences: Bool {
        missing + metadataDrift + dataConflict + extra + sameContentOtherID + missingInStores + statusDrift
            + invalid > 0
    }
}
