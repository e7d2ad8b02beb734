/// The diff of one source catalog against one target catalog, and what replication would do about it.
///
/// Pure: built from two listings, no I/O. Images are matched by id, case-sensitively (Glance stores ids
/// as given), because replication preserves ids across regions.
public struct CatalogPlan: Sendable, Hashable {
    /// Per image, sorted by name then id so reports are stable between runs.
    public var images: [ImagePlan]

    public init(images: [ImagePlan]) {
        self.images = images
    }

    /// Plans `target` against `source`.
    ///
    /// - Parameters:
    ///   - source: every image the source lists (any status, any visibility): an image the source holds out
    ///     of scope is not the target's `extra`.
    ///   - target: every image the target lists.
    public init(source: [ImageRecord], target: [ImageRecord], scope: ImageScope, rules: FieldRules) {
        let sourceIDs = Set(source.map(\.id))
        var targetByID: [String: ImageRecord] = [:]
        for image in target { targetByID[image.id] = image }
        var plans: [ImagePlan] = []
        for image in source where scope.containsSource(image) {
            plans.append(Self.plan(image, against: targetByID[image.id], rules: rules))
        }
        for image in target where !sourceIDs.contains(image.id) && scope.containsTarget(image) {
            plans.append(ImagePlan(id: image.id, state: .extra, action: .ignore, source: nil, target: image))
        }
        plans.sort { ($0.name ?? "", $0.id) < ($1.name ?? "", $1.id) }
        self.init(images: plans)
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

/// Counts per state and the bytes replication would copy.
public struct PlanSummary: Sendable, Hashable, Encodable {
    public var inSync = 0
    public var missing = 0
    public var metadataDrift = 0
    public var dataConflict = 0
    public var extra = 0
    public var bytesToCopy: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case inSync = "in_sync"
        case missing
        case metadataDrift = "metadata_drift"
        case dataConflict = "data_conflict"
        case extra
        case bytesToCopy = "bytes_to_copy"
    }

    public init<S: Sequence>(_ plans: S) where S.Element == ImagePlan {
        for plan in plans {
            switch plan.state {
            case .inSync: inSync += 1
            case .missing: missing += 1
            case .metadataDrift: metadataDrift += 1
            case .dataConflict: dataConflict += 1
            case .extra: extra += 1
            }
            if plan.action == .copy { bytesToCopy += plan.bytes }
        }
    }

    /// Whether the catalogs differ in any way (an `extra` image counts).
    public var hasDifferences: Bool {
        missing + metadataDrift + dataConflict + extra > 0
    }
}
