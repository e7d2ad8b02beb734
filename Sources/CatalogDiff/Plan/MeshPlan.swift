/// What `sync` does across N regions: per image, its origin, where its data is read from, and what each
/// region holds and needs (one cell per region).
///
/// Pure: built from the N listings of one run, no I/O. The direction never depends on the order of the
/// regions or on the machine the run is made from: an image is *native* in a region where its record has
/// no provenance property, and every copy names its origin in that property (`Provenance`). So:
///
/// - the origin is the region where the image is native; copies are made from it (its data and its
///   metadata), and a copy's metadata is repaired toward it, never the other way round;
/// - native in two regions with different data (or with no data in one of them): `data_conflict` in both,
///   nothing written anywhere; native in two with the same data: both are origins (the first listed decides
///   the copies' metadata, neither is repaired);
/// - an origin that was not listed this run (unreachable, or a catalog outside the run): copies are made
///   from a region holding a copy, nothing is repaired, nothing deleted;
/// - a copy whose origin was listed and no longer holds the image is `orphaned`: deleted only with
///   `--prune` (provenance naming that origin, never protected, at most `--max-delete` per region), and
///   never copied onwards;
/// - a copy deleted by hand is `missing` again, and copied again;
/// - the origin's status decides the copies' (in regions that replicate status: Glance catalogs, not dumps):
///   an image deactivated at its origin is deactivated wherever a copy is active (`status_drift`) and not
///   copied where there is none (`deactivated_at_origin`); a copy deactivated while its origin is active is
///   reactivated, as `replicate` does.
public struct MeshPlan: Sendable, Hashable {
    /// The regions' names, in the order given (the matrix's columns).
    public var regions: [String]
    /// Which regions were listed (the others are `unreachable` in every row).
    public var listed: [Bool]
    /// One row per image, by name then id.
    public var images: [MeshImagePlan]
    /// Per region: set when `--prune` found more to delete there than `--max-delete` allows.
    public var pruneRefused: [PruneRefusal?]

    public init(regions: [MeshRegion], scope: ImageScope, rules: FieldRules, options: MeshOptions = MeshOptions()) {
        self.regions = regions.map(\.name)
        listed = regions.map { $0.images != nil }
        var byID: [[String: Int]] = regions.map { region in
            var index: [String: Int] = [:]
            for (position, image) in (region.images ?? []).enumerated() { index[image.id] = position }
            return index
        }
        var ids: [String] = []
        var seen = Set<String>()
        for region in regions {
            for image in region.images ?? [] where seen.insert(image.id).inserted { ids.append(image.id) }
        }
        var regionByProvenance: [String: Int] = [:]
        for (index, region) in regions.enumerated() {
            for name in [region.provenance] + region.formerProvenances where regionByProvenance[name] == nil {
                regionByProvenance[name] = index
            }
        }
        let context = RowContext(
            regions: regions,
            regionByProvenance: regionByProvenance,
            scope: scope,
            rules: rules,
            options: options
        )
        var rows: [MeshImagePlan] = []
        for id in ids {
            let records = regions.indices.map { index in
                byID[index][id].map { regions[index].images![$0] }
            }
            if let row = context.row(id: id, records: records) { rows.append(row) }
        }
        byID = []
        Self.markDuplicates(&rows, regions: regions, copyDuplicates: options.copyDuplicates)
        Self.markMissingInStores(&rows, regions: regions)
        var refusals = [PruneRefusal?](repeating: nil, count: regions.count)
        for region in regions.indices {
            let deletions = rows.indices.filter { rows[$0].cells[region].action == .delete }
            guard deletions.count > options.maxDelete else { continue }
            refusals[region] = PruneRefusal(candidates: deletions.count, maxDelete: options.maxDelete)
            for row in deletions { rows[row].cells[region].action = .ignore }
        }
        rows.sort { ($0.name ?? "", $0.id) < ($1.name ?? "", $1.id) }
        images = rows
        pruneRefused = refusals
    }

    /// A region lacking an image may hold its data under another id: `same_content_other_id`, copied only
    /// with `--copy-duplicates`, as `replicate` does.
    private static func markDuplicates(_ rows: inout [MeshImagePlan], regions: [MeshRegion], copyDuplicates: Bool) {
        for (region, listing) in regions.enumerated() {
            guard let images = listing.images else { continue }
            let missing = rows.indices.filter { rows[$0].cells[region].state == .missing && rows[$0].source != nil }
            guard !missing.isEmpty else { continue }
            let twins = ContentIndex(missing.map { rows[$0].source! }).twins(in: images)
            for (position, row) in missing.enumerated() {
                guard let twin = twins[position] else { continue }
                rows[row].cells[region].state = .sameContentOtherID
                rows[row].cells[region].sameContentAs = twin
                if !copyDuplicates { rows[row].cells[region].action = .ignore }
            }
        }
    }

    /// A copy in sync in a region that requires stores, whose record names only some of them:
    /// `missing_in_stores`, copied into the others, as `replicate` does for its targets. An origin's own record
    /// is left in the stores its region's users put it in; a record that names no store (a single-store
    /// Glance) is not judged.
    private static func markMissingInStores(_ rows: inout [MeshImagePlan], regions: [MeshRegion]) {
        for (region, listing) in regions.enumerated() where !listing.requiredStores.isEmpty {
            let required = listing.requiredStores
            for row in rows.indices where rows[row].cells[region].state == .inSync {
                guard let held = rows[row].cells[region].record?.stores, !held.isEmpty,
                    required.contains(where: { !held.contains($0) })
                else { continue }
                rows[row].cells[region].state = .missingInStores
                rows[row].cells[region].action = .copyToStores
                rows[row].cells[region].changes = [
                    FieldChange(
                        field: "stores",
                        source: .string(required.joined(separator: ",")),
                        target: .string(held.joined(separator: ","))
                    )
                ]
            }
        }
    }

    /// Counts per region (the matrix's columns).
    public var summaries: [MeshSummary] {
        regions.indices.map { region in
            var summary = MeshSummary()
            for row in images { summary.add(row.cells[region], bytes: row.bytes) }
            return summary
        }
    }
}

/// One region of a mesh run.
public struct MeshRegion: Sendable, Hashable {
    /// As reports name it.
    public var name: String
    /// The value of `Provenance.property` on the copies whose origin this region is.
    public var provenance: String
    /// Values copies made by earlier versions carry for this origin (the endpoint's URL): still recognised as
    /// this region's copies, never written on new ones.
    public var formerProvenances: [String]
    /// Every image the region lists (any status, any visibility); nil when it could not be listed this run.
    public var images: [ImageRecord]?
    /// Whether its copies' status (`active`/`deactivated`) follows their origin's: a Glance catalog's does, a
    /// dump directory's (which cannot be deactivated) does not.
    public var replicatesStatus: Bool
    /// The stores of a multi-store Glance every copy here must be in (`--stores`, `--all-stores`); empty for none.
    public var requiredStores: [String]

    public init(
        name: String,
        provenance: String,
        formerProvenances: [String] = [],
        images: [ImageRecord]?,
        replicatesStatus: Bool = false,
        requiredStores: [String] = []
    ) {
        self.name = name
        self.provenance = provenance
        self.formerProvenances = formerProvenances
        self.images = images
        self.replicatesStatus = replicatesStatus
        self.requiredStores = requiredStores
    }
}

/// What mesh planning does beyond the diff.
public struct MeshOptions: Sendable, Hashable {
    /// `--copy-duplicates`.
    public var copyDuplicates: Bool
    /// `--prune`: delete copies whose origin no longer has the image.
    public var prune: Bool
    /// `--max-delete`, per region.
    public var maxDelete: Int

    public init(copyDuplicates: Bool = false, prune: Bool = false, maxDelete: Int = 10) {
        self.copyDuplicates = copyDuplicates
        self.prune = prune
        self.maxDelete = maxDelete
    }
}

/// How one image stands in one region.
public enum MeshCellState: String, Sendable, Hashable, Encodable, CaseIterable {
    /// Native here (no provenance): the image's origin.
    case origin
    /// A copy with the origin's data and metadata.
    case inSync = "in_sync"
    /// Not here (or only an empty record left by an interrupted copy): copied.
    case missing
    /// A copy whose metadata differs from the origin's: repaired toward the origin.
    case metadataDrift = "metadata_drift"
    /// A copy whose status differs from the origin's (one `deactivated`, the other `active`): deactivated or
    /// reactivated as the origin is, with any metadata repairs in the same run.
    case statusDrift = "status_drift"
    /// A copy with the origin's data and metadata that is not in every store the region must hold it in
    /// (`--stores`, `--all-stores`): copied into the others by Glance's `copy-image` import.
    case missingInStores = "missing_in_stores"
    /// Not here, and its origin has deactivated it: not copied (as `replicate`'s `deactivated_at_source`).
    case deactivatedAtOrigin = "deactivated_at_origin"
    /// Same id, other data than the origin's (or a second native record): reported, never overwritten.
    case dataConflict = "data_conflict"
    /// Missing by id, its data held here under another id.
    case sameContentOtherID = "same_content_other_id"
    /// A copy whose origin no longer has the image: deleted with `--prune`.
    case orphaned
    /// A copy whose origin was not listed this run: its metadata is not checked.
    case unchecked
    /// Not here, and not to be: its origin deleted it, or its origins conflict.
    case absent
    /// The region could not be listed this run.
    case unreachable
    /// A record never acted on anywhere: its id is not a UUID, or its size is out of range (as `replicate`'s
    /// `invalid`; the report's `error` says which).
    case invalid
}

/// One image in one region: the matrix's cell.
public struct MeshCell: Sendable, Hashable {
    public var state: MeshCellState
    public var action: PlannedAction
    /// The region's record with the image's id, if any.
    public var record: ImageRecord?
    /// Metadata changes (`metadata_drift`) or the data fields that differ (`data_conflict`).
    public var changes: [FieldChange]
    /// For `same_content_other_id`: the id of this region's image holding the same data.
    public var sameContentAs: String?

    public init(
        state: MeshCellState,
        action: PlannedAction,
        record: ImageRecord? = nil,
        changes: [FieldChange] = [],
        sameContentAs: String? = nil
    ) {
        self.state = state
        self.action = action
        self.record = record
        self.changes = changes
        self.sameContentAs = sameContentAs
    }
}

/// One image of a mesh: its origin, where its data comes from, and a cell per region.
public struct MeshImagePlan: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var bytes: Int64
    /// The region where the image is native (the first listed, when several hold the same data); nil when
    /// its origin was not listed this run, or its origins conflict.
    public var origin: Int?
    /// The provenance value copies of this image carry (their origin's name), also when the origin is not
    /// one of the run's regions.
    public var originName: String?
    /// The region its data is read from for the copies: the origin, else one holding a copy.
    public var holder: Int?
    /// The record copies are made from and repaired toward (the origin's, else the holder's).
    public var source: ImageRecord?
    public var cells: [MeshCell]

    /// The `ImagePlan` that carries out one cell's action, as `replicate` carries out a target's.
    public func plan(in region: Int) -> ImagePlan {
        let cell = cells[region]
        return ImagePlan(
            id: id,
            state: cell.state.imageState,
            action: cell.action,
            source: cell.state == .orphaned ? nil : source,
            target: cell.record,
            changes: cell.changes,
            sameContentAs: cell.sameContentAs
        )
    }
}

/// Counts of one region's column.
public struct MeshSummary: Sendable, Hashable {
    public var counts: [MeshCellState: Int] = [:]
    /// Bytes to copy into the region.
    public var bytesToCopy: Int64 = 0
    public var toDelete = 0

    public init() {}

    mutating func add(_ cell: MeshCell, bytes: Int64) {
        counts[cell.state, default: 0] += 1
        if cell.action == .copy { bytesToCopy += bytes }
        if cell.action == .delete { toDelete += 1 }
    }

    public subscript(state: MeshCellState) -> Int { counts[state] ?? 0 }
}

extension Provenance {
    /// The origin a record names, or nil for a native image.
    public static func origin(of image: ImageRecord) -> String? {
        image.properties[property]
    }
}

/// The rules of one run, applied to one image's records.
private struct RowContext {
    let regions: [MeshRegion]
    let regionByProvenance: [String: Int]
    let scope: ImageScope
    let rules: FieldRules
    let options: MeshOptions

    func row(id: String, records: [ImageRecord?]) -> MeshImagePlan? {
        if records.contains(where: { $0?.invalidity != nil }) { return invalidRow(id: id, records: records) }
        let natives = records.indices.filter { records[$0].map { Provenance.origin(of: $0) == nil } ?? false }
        if natives.isEmpty { return copiesOnly(id: id, records: records) }
        // An origin is active, or deactivated (its copies are then deactivated too, and no more are made).
        guard let origin = natives.first(where: { Self.isOrigin(records[$0]!, in: scope) }) else {
            // Its origin holds it out of scope (another visibility, no data, filtered out): not this run's.
            return nil
        }
        let source = records[origin]!
        let deactivated = source.status == ImageStatus.deactivated
        var row = MeshImagePlan(
            id: id,
            name: source.name,
            bytes: source.size ?? 0,
            origin: origin,
            originName: regions[origin].provenance,
            holder: deactivated ? nil : origin,
            source: source,
            cells: []
        )
        var conflicts: [Int: [FieldChange]] = [:]
        for native in natives where native != origin {
            let other = records[native]!
            guard other.hasData else {
                conflicts[native] = [
                    FieldChange(field: "status", source: .string(source.status), target: .string(other.status))
                ]
                continue
            }
            switch DataComparison(source: source, target: other) {
            case .same: continue
            case .different(let fields), .unverifiable(let fields): conflicts[native] = fields
            }
        }
        if !conflicts.isEmpty {
            // Two origins that disagree: reported in each, nothing written anywhere.
            row.origin = nil
            row.holder = nil
            row.cells = regions.indices.map { index in
                guard regions[index].images != nil else { return MeshCell(state: .unreachable, action: .none) }
                guard let record = records[index] else { return MeshCell(state: .absent, action: .none) }
                if index == origin {
                    let first = conflicts.values.first ?? []
                    return MeshCell(state: .dataConflict, action: .conflict, record: record, changes: first)
                }
                if let fields = conflicts[index] {
                    return MeshCell(state: .dataConflict, action: .conflict, record: record, changes: fields)
                }
                return MeshCell(
                    state: Provenance.origin(of: record) == nil ? .origin : .unchecked,
                    action: .none,
                    record: record
                )
            }
            return row
        }
        row.cells = regions.indices.map { index in
            guard regions[index].images != nil else { return MeshCell(state: .unreachable, action: .none) }
            guard let record = records[index] else {
                return deactivated
                    ? MeshCell(state: .deactivatedAtOrigin, action: .none) : MeshCell(state: .missing, action: .copy)
            }
            if natives.contains(index) { return MeshCell(state: .origin, action: .none, record: record) }
            return compare(source, copy: record, replicatesStatus: regions[index].replicatesStatus)
        }
        return row
    }

    /// Whether a native record can be its image's origin this run: in scope, and active or deactivated
    /// (an image without data yet has nothing to give its copies).
    private static func isOrigin(_ record: ImageRecord, in scope: ImageScope) -> Bool {
        ImageStatus.hasSettledData(record.status) && scope.reportsSource(record)
    }

    /// A copy against its origin's record, as `replicate` compares a target's image with the source's.
    private func compare(_ source: ImageRecord, copy: ImageRecord, replicatesStatus: Bool) -> MeshCell {
        let plan = CatalogPlan.plan(source, against: copy, rules: rules, replicatesStatus: replicatesStatus)
        let state: MeshCellState =
            switch plan.state {
            case .missing: .missing
            case .dataConflict: .dataConflict
            case .metadataDrift: .metadataDrift
            case .statusDrift: .statusDrift
            // An empty record left by an interrupted copy, its origin deactivated since: not filled.
            case .deactivatedAtSource: .deactivatedAtOrigin
            default: .inSync
            }
        let action = state == .deactivatedAtOrigin ? .none : plan.action
        return MeshCell(state: state, action: action, record: copy, changes: plan.changes)
    }

    /// An image one of whose records is invalid: reported where it is held, never copied, repaired or deleted
    /// anywhere (its id never becomes a URL, a file name or a journal key).
    private func invalidRow(id: String, records: [ImageRecord?]) -> MeshImagePlan? {
        guard let first = records.first(where: { $0 != nil }) ?? nil else { return nil }
        var row = MeshImagePlan(id: id, name: first.name, bytes: 0, cells: [])
        row.cells = regions.indices.map { index in
            guard regions[index].images != nil else { return MeshCell(state: .unreachable, action: .none) }
            guard let record = records[index] else { return MeshCell(state: .absent, action: .none) }
            return MeshCell(state: .invalid, action: .ignore, record: record)
        }
        return row
    }

    /// An image no region holds natively: every record is a copy.
    private func copiesOnly(id: String, records: [ImageRecord?]) -> MeshImagePlan? {
        let held = records.indices.filter { records[$0] != nil }
        // A copy is orphaned when the region its provenance names was listed and holds no record of it.
        let orphaned = held.filter { index in
            guard let named = regionByProvenance[Provenance.origin(of: records[index]!)!] else { return false }
            return regions[named].images != nil && records[named] == nil
        }
        if !orphaned.isEmpty {
            guard orphaned.contains(where: { scope.containsTarget(records[$0]!) }) else { return nil }
            let first = records[orphaned[0]]!
            var row = MeshImagePlan(
                id: id,
                name: first.name,
                bytes: first.size ?? 0,
                originName: Provenance.origin(of: first),
                cells: []
            )
            row.cells = regions.indices.map { index in
                guard regions[index].images != nil else { return MeshCell(state: .unreachable, action: .none) }
                guard let record = records[index] else { return MeshCell(state: .absent, action: .none) }
                guard orphaned.contains(index) else {
                    return MeshCell(state: .unchecked, action: .none, record: record)
                }
                let origin = Provenance.origin(of: record)!
                let prunable =
                    options.prune && scope.containsTarget(record)
                    && PrunePolicy(source: origin, maxDelete: options.maxDelete).allows(record)
                return MeshCell(state: .orphaned, action: prunable ? .delete : .ignore, record: record)
            }
            return row
        }
        // The origin was not listed this run: spread a verified copy, repair and delete nothing.
        guard let holder = held.first(where: { scope.containsSource(records[$0]!) }) else { return nil }
        let source = records[holder]!
        var row = MeshImagePlan(
            id: id,
            name: source.name,
            bytes: source.size ?? 0,
            originName: Provenance.origin(of: source),
            holder: holder,
            source: source,
            cells: []
        )
        row.cells = regions.indices.map { index in
            guard regions[index].images != nil else { return MeshCell(state: .unreachable, action: .none) }
            guard let record = records[index] else { return MeshCell(state: .missing, action: .copy) }
            guard record.hasData else { return MeshCell(state: .missing, action: .copy, record: record) }
            switch DataComparison(source: source, target: record) {
            case .same: return MeshCell(state: .unchecked, action: .none, record: record)
            case .different(let fields), .unverifiable(let fields):
                return MeshCell(state: .dataConflict, action: .conflict, record: record, changes: fields)
            }
        }
        return row
    }
}
