/// The document `--format json` prints (schema_version 1). Field names and values are a contract that
/// monitoring systems and users' scripts read: extend it, never change it.
public struct Report: Sendable, Hashable, Encodable {
    public var schemaVersion = 1
    public var source: String
    public var dryRun: Bool
    public var targets: [TargetReport]
    /// Bytes read from the source in this run (0 for audits).
    public var bytesRead: Int64 = 0
    /// The signal that stopped the run (`SIGINT`, `SIGTERM`), if one did.
    public var interruptedBy: String?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case source
        case dryRun = "dry_run"
        case targets
        case bytesRead = "bytes_read"
        case interruptedBy = "interrupted_by"
    }

    public init(source: String, dryRun: Bool, targets: [TargetReport]) {
        self.source = source
        self.dryRun = dryRun
        self.targets = targets
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(source, forKey: .source)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(targets, forKey: .targets)
        try container.encode(bytesRead, forKey: .bytesRead)
        try container.encode(interruptedBy, forKey: .interruptedBy)
    }
}

public struct TargetReport: Sendable, Hashable, Encodable {
    public var target: String
    public var summary: PlanSummary
    public var images: [ImageReport]
    /// Present only when `--prune` deleted nothing because of `--max-delete`.
    public var pruneRefused: PruneRefusal?
    /// Present only with `--preserve-owner`: whether new copies keep the source's owner.
    public var owner: OwnerOutcome?
    /// Present only with `--members`.
    public var members: MemberSummary?
    /// Present only in `replicate` runs that write: the fewest uploads at once this target was given (the run's
    /// `--concurrency` unless it answered with overloads; see `UploadLimit`).
    public var lowestUploadLimit: Int?

    enum CodingKeys: String, CodingKey {
        case target, summary, images, owner, members
        case pruneRefused = "prune_refused"
        case lowestUploadLimit = "lowest_upload_limit"
    }

    public init(target: String, summary: PlanSummary, images: [ImageReport], pruneRefused: PruneRefusal? = nil) {
        self.target = target
        self.summary = summary
        self.images = images
        self.pruneRefused = pruneRefused
    }
}

/// Who owns the copies `--preserve-owner` makes on a target.
public enum OwnerOutcome: String, Sendable, Hashable, Encodable {
    /// The source's owner (the credentials have the admin role, or a fixed token Glance will judge).
    case preserved
    /// The replicating project: setting another project's owner needs the admin role, which they lack.
    case replicatingProject = "replicating_project"

    public var message: String {
        switch self {
        case .preserved: "new copies keep the source's owner"
        case .replicatingProject:
            "new copies are owned by the replicating project (keeping the source's owner needs the admin role)"
        }
    }
}

/// What happened to one image.
public enum ImageResult: String, Sendable, Hashable, Encodable, CaseIterable {
    /// Would be done (compare, `--dry-run`).
    case planned
    case done
    case failed
    /// Nothing to do (`none`), reported only (`ignore`), never overwritten (`conflict`), or not started.
    case skipped
    /// Work to do that was not started: outside the run's `--window`, or past its `--max-transfer` /
    /// `--max-duration` budget. The next run does it.
    case deferred
    /// Under way when the run was stopped by SIGINT/SIGTERM, or not yet started then.
    case interrupted
}

public struct ImageReport: Sendable, Hashable, Encodable {
    public var id: String
    public var name: String?
    public var state: ImageState
    public var action: PlannedAction
    public var bytes: Int64
    public var changes: [FieldChange]
    public var result: ImageResult
    public var error: String?
    /// For `same_content_other_id`: the target image holding the same data (the key is absent otherwise).
    public var sameContentAs: String?

    public init(plan: ImagePlan, result: ImageResult, error: String? = nil) {
        self.id = plan.id
        self.name = plan.name
        self.state = plan.state
        self.action = plan.action
        self.bytes = plan.bytes
        self.changes = plan.changes
        self.result = result
        // An invalid record's report says why it was not acted on.
        self.error = error ?? plan.invalidity
        self.sameContentAs = plan.sameContentAs
    }

    enum CodingKeys: String, CodingKey {
        case id, name, state, action, bytes, changes, result, error
        case sameContentAs = "same_content_as"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(state, forKey: .state)
        try container.encode(action, forKey: .action)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(changes, forKey: .changes)
        try container.encode(result, forKey: .result)
        try container.encode(error, forKey: .error)
        try container.encodeIfPresent(sameContentAs, forKey: .sameContentAs)
    }
}

extension ImageReport {
    /// Every image of a plan as reported before (or without) anything being carried out; built on every
    /// core for a large catalog.
    public static func unexecuted(_ plan: CatalogPlan) -> [ImageReport] {
        plan.images.withUnsafeBufferPointer { plans in
            // Read through the buffer: an array element read in a closure is copied whole.
            Parallel.map(plans.count) { index in
                ImageReport(plan: plans[index], result: .unexecuted(plans[index].action))
            }
        }
    }
}

extension ImageResult {
    /// The result an image has before (or without) anything being carried out.
    public static func unexecuted(_ action: PlannedAction) -> ImageResult {
        switch action {
        case .copy, .updateMetadata, .delete, .copyToStores, .deactivate, .reactivate: .planned
        case .none, .ignore, .conflict: .skipped
        }
    }
}
