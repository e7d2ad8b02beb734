/// How one image stands between source and target.
public enum ImageState: String, Sendable, Hashable, Encodable, CaseIterable {
    case inSync = "in_sync"
    case missing
    case metadataDrift = "metadata_drift"
    case dataConflict = "data_conflict"
    case extra
    /// Missing by id, but the target holds another image (another id) with the same size and hashes: a copy
    /// made under another id, or the same upload made twice. Reported; copied only with `--copy-duplicates`.
    case sameContentOtherID = "same_content_other_id"
    /// In sync, but the target's multi-store Glance lacks it in some of the stores asked for (`--stores`).
    case missingInStores = "missing_in_stores"
    /// A record the tool does not act on: its id is not a UUID or its size is out of range
    /// (`ImageRecord.invalidity`, the report's `error`). Never copied, updated or deleted; exit 3.
    case invalid
    /// The copy's status differs from the source's (one is `deactivated`, the other `active`): the source's
    /// status is replicated (`deactivate` or `reactivate`), with any metadata changes in the same run.
    case statusDrift = "status_drift"
    /// Deactivated at the source and never copied: not copied (its data is withheld from non-admins at the
    /// source and should not spread). Reported, not a difference.
    case deactivatedAtSource = "deactivated_at_source"
    /// The source holds no data yet (`queued`, `saving`, `uploading`, `importing`, or an import that failed):
    /// nothing to copy until it has. Reported, not a difference.
    case noData = "no_data"
}

/// What replication does about it.
public enum PlannedAction: String, Sendable, Hashable, Encodable, CaseIterable {
    case none
    /// Create the record (or reuse the target's empty `queued` one) and stream the data.
    case copy
    /// One JSON-patch PATCH.
    case updateMetadata = "update_metadata"
    /// Same id, different data: reported, never overwritten.
    case conflict
    /// Reported only (`extra`, `same_content_other_id`).
    case ignore
    /// `--prune`: an `extra` image this tool copied from this source, whose origin is gone.
    case delete
    /// A `copy-image` import into the stores the target lacks the image in (`--stores`).
    case copyToStores = "copy_to_stores"
    /// `POST /v2/images/{id}/actions/deactivate` on the copy (after a metadata patch, if the changes hold one).
    case deactivate
    /// `POST /v2/images/{id}/actions/reactivate` on the copy (after a metadata patch, if the changes hold one).
    case reactivate

    /// Whether a plan holding it has work to do, or a difference to report (a dry run's exit 1): every action
    /// but `none` and `ignore`.
    public var isWork: Bool { self != .none && self != .ignore }
}

/// The plan for one image on one target: the decision and everything needed to carry it out.
public struct ImagePlan: Sendable, Hashable {
    public var id: String
    public var state: ImageState
    public var action: PlannedAction
    /// The source record (absent for `extra`).
    public var source: ImageRecord? { didSet { describe() } }
    /// The target record with the same id, if any (an empty `queued` one is reused by `copy`).
    public var target: ImageRecord? { didSet { describe() } }
    /// Metadata changes (for `metadata_drift`), or the data fields that differ (for `data_conflict`).
    public var changes: [FieldChange]
    /// For `same_content_other_id`: the id of the target image that holds the same data.
    public var sameContentAs: String?

    public init(
        id: String,
        state: ImageState,
        action: PlannedAction,
        source: ImageRecord?,
        target: ImageRecord?,
        changes: [FieldChange] = [],
        sameContentAs: String? = nil
    ) {
        self.id = id
        self.state = state
        self.action = action
        self.source = source
        self.target = target
        self.changes = changes
        self.sameContentAs = sameContentAs
        describe()
    }

    /// For an `invalid` image: why it is not acted on, naming the side that listed it.
    public var invalidity: String? {
        guard state == .invalid else { return nil }
        if let reason = source?.invalidity { return "the source's record: \(reason); not acted on" }
        return target?.invalidity.map { "the target's record: \($0); not acted on" }
    }

    /// The image's name as the report shows it: the source's, else the target's.
    public private(set) var name: String?

    /// Bytes the image's data occupies (the source's size; the target's for `extra`).
    public private(set) var bytes: Int64 = 0

    /// Keeps `name` and `bytes` with the records. They are stored, not computed: reports and sorts read them
    /// for every image, and through the optional records each read is two hops and a reference count.
    private mutating func describe() {
        name = source?.name ?? target?.name
        // A negative size from a server (an `invalid` record) is no bytes.
        bytes = max(0, source != nil ? source?.size ?? 0 : target?.size ?? 0)
    }
}
