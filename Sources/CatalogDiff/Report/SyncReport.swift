/// The document `sync --format json` prints: a matrix of images (rows) by regions (columns). Its own shape
/// (`"command": "sync"`), documented in schema/report.schema.json; `schema_version` is the one of the other
/// reports. Field names and values are a contract: extend it, never change it.
public struct SyncReport: Sendable, Hashable, Encodable {
    public var schemaVersion = 1
    public var command = "sync"
    public var dryRun: Bool
    /// The columns, in the order the regions were given.
    public var regions: [SyncRegionReport]
    /// The rows, by name then id.
    public var images: [SyncImageReport]
    /// Bytes of image data read from the regions in this run (0 for a dry run).
    public var bytesRead: Int64 = 0
    /// The signal that stopped the run (`SIGINT`, `SIGTERM`), if one did.
    public var interruptedBy: String?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case command
        case dryRun = "dry_run"
        case regions, images
        case bytesRead = "bytes_read"
        case interruptedBy = "interrupted_by"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(command, forKey: .command)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(regions, forKey: .regions)
        try container.encode(images, forKey: .images)
        try container.encode(bytesRead, forKey: .bytesRead)
        try container.encode(interruptedBy, forKey: .interruptedBy)
    }

    public init(dryRun: Bool, regions: [SyncRegionReport], images: [SyncImageReport]) {
        self.dryRun = dryRun
        self.regions = regions
        self.images = images
    }

    /// The report of a plan before (or without) anything being carried out; `errors` are the regions'
    /// listing errors, by region.
    public init(plan: MeshPlan, dryRun: Bool, errors: [String?]) {
        let summaries = plan.summaries
        self.init(
            dryRun: dryRun,
            regions: plan.regions.indices.map { index in
                SyncRegionReport(
                    region: plan.regions[index],
                    listed: plan.listed[index],
                    error: errors.indices.contains(index) ? errors[index] : nil,
                    summary: summaries[index],
                    pruneRefused: plan.pruneRefused[index]
                )
            },
            images: plan.images.map { row in
                SyncImageReport(
                    id: row.id,
                    name: row.name,
                    bytes: row.bytes,
                    origin: row.origin.map { plan.regions[$0] },
                    originName: row.originName,
                    holder: row.holder.map { plan.regions[$0] },
                    cells: row.cells.enumerated().map { region, cell in
                        SyncCellReport(
                            region: plan.regions[region],
                            state: cell.state,
                            action: cell.action,
                            result: .unexecuted(cell.action),
                            error: cell.record?.invalidity?.description,
                            changes: cell.changes,
                            sameContentAs: cell.sameContentAs
                        )
                    }
                )
            }
        )
    }

    /// Whether every listed region holds every image as its origin does.
    public var converged: Bool {
        regions.allSatisfy(\.listed) && images.allSatisfy { $0.cells.allSatisfy { $0.action == .none } }
    }
}

/// One column: a region and its counts.
public struct SyncRegionReport: Sendable, Hashable, Encodable {
    public var region: String
    /// False when the region could not be listed this run (its column is `unreachable`).
    public var listed: Bool
    public var error: String?
    public var summary: SyncRegionSummary
    /// Present only when `--prune` deleted nothing in this region because of `--max-delete`.
    public var pruneRefused: PruneRefusal?
    /// Present only in runs that wrote into this region: the fewest uploads at once it was given (it starts at
    /// `--concurrency` and halves on overload answers, as in `replicate`).
    public var lowestUploadLimit: Int?
    /// Present only with `--preserve-owner`: whether the copies made in this region keep their origin's owner.
    public var owner: OwnerOutcome?
    /// Present only with `--members`: the members of shared images compared (and replicated) into this
    /// region's copies, from each image's origin.
    public var members: MemberSummary?

    enum CodingKeys: String, CodingKey {
        case region, listed, error, summary
        case pruneRefused = "prune_refused"
        case lowestUploadLimit = "lowest_upload_limit"
        case owner, members
    }

    public init(region: String, listed: Bool, error: String?, summary: MeshSummary, pruneRefused: PruneRefusal?) {
        self.region = region
        self.listed = listed
        self.error = error
        self.summary = SyncRegionSummary(summary)
        self.pruneRefused = pruneRefused
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(region, forKey: .region)
        try container.encode(listed, forKey: .listed)
        try container.encode(error, forKey: .error)
        try container.encode(summary, forKey: .summary)
        try container.encodeIfPresent(pruneRefused, forKey: .pruneRefused)
        try container.encodeIfPresent(lowestUploadLimit, forKey: .lowestUploadLimit)
        try container.encodeIfPresent(owner, forKey: .owner)
        try container.encodeIfPresent(members, forKey: .members)
    }
}

/// A region's counts: one per cell state, bytes to copy into it, deletions.
public struct SyncRegionSummary: Sendable, Hashable, Encodable {
    public var states: [String: Int]
    public var bytesToCopy: Int64
    public var toDelete: Int

    init(_ summary: MeshSummary) {
        states = Dictionary(uniqueKeysWithValues: MeshCellState.allCases.map { ($0.rawValue, summary[$0]) })
        bytesToCopy = summary.bytesToCopy
        toDelete = summary.toDelete
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Flat: `{"bytes_to_copy": .., "in_sync": .., "missing": .., ..., "to_delete": ..}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (state, count) in states { try container.encode(count, forKey: Key(stringValue: state)) }
        try container.encode(bytesToCopy, forKey: Key(stringValue: "bytes_to_copy"))
        try container.encode(toDelete, forKey: Key(stringValue: "to_delete"))
    }
}

/// One row: an image, where it comes from, and a cell per region.
public struct SyncImageReport: Sendable, Hashable, Encodable {
    public var id: String
    public var name: String?
    public var bytes: Int64
    /// The region where the image is native; null when its origin was not listed or its origins conflict.
    public var origin: String?
    /// The provenance value its copies carry (their origin's name, also for an origin outside the run).
    public var originName: String?
    /// The region its data is read from; null when nothing is copied from anywhere.
    public var holder: String?
    /// One per region, in the order of `regions`.
    public var cells: [SyncCellReport]

    enum CodingKeys: String, CodingKey {
        case id, name, bytes, origin, holder, cells
        case originName = "origin_name"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(origin, forKey: .origin)
        try container.encode(originName, forKey: .originName)
        try container.encode(holder, forKey: .holder)
        try container.encode(cells, forKey: .cells)
    }
}

/// One cell: the image in one region.
public struct SyncCellReport: Sendable, Hashable, Encodable {
    public var region: String
    public var state: MeshCellState
    public var action: PlannedAction
    public var result: ImageResult
    public var error: String?
    public var changes: [FieldChange]
    /// For `same_content_other_id`: the region's image holding the same data (the key is absent otherwise).
    public var sameContentAs: String?

    enum CodingKeys: String, CodingKey {
        case region, state, action, result, error, changes
        case sameContentAs = "same_content_as"
    }

    public init(
        region: String,
        state: MeshCellState,
        action: PlannedAction,
        result: ImageResult,
        error: String? = nil,
        changes: [FieldChange] = [],
        sameContentAs: String? = nil
    ) {
        self.region = region
        self.state = state
        self.action = action
        self.result = result
        self.error = error
        self.changes = changes
        self.sameContentAs = sameContentAs
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(region, forKey: .region)
        try container.encode(state, forKey: .state)
        try container.encode(action, forKey: .action)
        try container.encode(result, forKey: .result)
        try container.encode(error, forKey: .error)
        try container.encode(changes, forKey: .changes)
        try container.encodeIfPresent(sameContentAs, forKey: .sameContentAs)
    }
}

extension SyncReport {
    /// The matrix as per-region target reports, for what reads `Report`s (the metrics file): each region a
    /// target, each of its cells an image.
    public var asReport: Report {
        var report = Report(
            source: "sync",
            dryRun: dryRun,
            targets: regions.indices.map { column in
                TargetReport(
                    target: regions[column].region,
                    summary: PlanSummary([ImagePlan]()),
                    images: images.map { row in
                        let cell = row.cells[column]
                        var image = ImageReport(
                            plan: ImagePlan(id: row.id, state: .inSync, action: cell.action, source: nil, target: nil),
                            result: cell.result,
                            error: cell.error
                        )
                        image.name = row.name
                        image.bytes = row.bytes
                        image.state = cell.state.imageState
                        return image
                    },
                    pruneRefused: regions[column].pruneRefused
                )
            }
        )
        report.bytesRead = bytesRead
        report.interruptedBy = interruptedBy
        return report
    }
}

extension MeshCellState {
    /// The nearest state of a one-source report.
    public var imageState: ImageState {
        switch self {
        case .origin, .inSync, .unchecked, .absent, .unreachable: .inSync
        case .missing: .missing
        case .metadataDrift: .metadataDrift
        case .statusDrift: .statusDrift
        case .missingInStores: .missingInStores
        case .deactivatedAtOrigin: .deactivatedAtSource
        case .dataConflict: .dataConflict
        case .sameContentOtherID: .sameContentOtherID
        case .orphaned: .extra
        case .invalid: .invalid
        }
    }
}
