/// The members a shared image's copy lacks and has in excess: the source's member projects, mapped to the
/// target's project ids (a mapping file for two Keystones; the same id within one), against the copy's.
///
/// Missing members are added; a member only the copy has may have been shared there on purpose, so it is
/// removed only when asked (`--prune-members`). The status (accepted, pending, rejected) is the member
/// project's own decision, never the owner's to copy: it is reported, on both sides.
public struct MemberPlan: Sendable, Hashable {
    /// Target project ids to add, sorted.
    public var toAdd: [String]
    /// Target project ids the source lacks, sorted (removed only with `pruneExtra`).
    public var extra: [String]
    /// Every member of either side, by target project id.
    public var members: [MemberReport]

    public init(source: [String], target: [String], mapping: [String: String]) {
        self.init(
            source: source.map { ImageMember(project: $0, status: nil) },
            target: target.map { ImageMember(project: $0, status: nil) },
            mapping: mapping,
            pruneExtra: false
        )
    }

    public init(source: [ImageMember], target: [ImageMember], mapping: [String: String], pruneExtra: Bool) {
        var wanted: [String: String?] = [:]
        for member in source { wanted[mapping[member.project] ?? member.project] = member.status }
        var held: [String: String?] = [:]
        for member in target { held[member.project] = member.status }
        toAdd = Set(wanted.keys).subtracting(held.keys).sorted()
        extra = Set(held.keys).subtracting(wanted.keys).sorted()
        members = Set(wanted.keys).union(held.keys).sorted().map { project in
            let state: MemberState =
                held[project] == nil ? .missing : wanted[project] == nil ? .extra : .inSync
            let action: MemberAction =
                switch state {
                case .missing: .add
                case .extra: pruneExtra ? .remove : .ignore
                case .inSync: .none
                }
            return MemberReport(
                member: project,
                state: state,
                action: action,
                sourceStatus: wanted[project] ?? nil,
                targetStatus: held[project] ?? nil
            )
        }
    }
}

/// A member project of an image and its own answer to the share (`pending`, `accepted`, `rejected`).
public struct ImageMember: Sendable, Hashable {
    public var project: String
    public var status: String?

    public init(project: String, status: String?) {
        self.project = project
        self.status = status
    }
}

public enum MemberState: String, Sendable, Hashable, Encodable, CaseIterable {
    case inSync = "in_sync"
    /// A member of the source's image that the copy lacks: drift.
    case missing
    /// A member of the copy that the source's image lacks: drift, removed only with `--prune-members`.
    case extra
}

public enum MemberAction: String, Sendable, Hashable, Encodable, CaseIterable {
    case none
    case add
    /// `--prune-members`.
    case remove
    /// An `extra` member kept (no `--prune-members`).
    case ignore
}

/// One member of one shared image, as `--members` compares it.
public struct MemberReport: Sendable, Hashable, Encodable {
    /// The member project's id on the target.
    public var member: String
    public var state: MemberState
    public var action: MemberAction
    /// The member's status on each side (nil where it is not a member); reported, never copied.
    public var sourceStatus: String?
    public var targetStatus: String?
    /// What became of the action in a run: nil when planned only (audits) or nothing to do.
    public var result: ImageResult?

    enum CodingKeys: String, CodingKey {
        case member, state, action, result
        case sourceStatus = "source_status"
        case targetStatus = "target_status"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(member, forKey: .member)
        try container.encode(state, forKey: .state)
        try container.encode(action, forKey: .action)
        try container.encode(result, forKey: .result)
        try container.encode(sourceStatus, forKey: .sourceStatus)
        try container.encode(targetStatus, forKey: .targetStatus)
    }

    public init(
        member: String,
        state: MemberState,
        action: MemberAction,
        sourceStatus: String?,
        targetStatus: String?
    ) {
        self.member = member
        self.state = state
        self.action = action
        self.sourceStatus = sourceStatus
        self.targetStatus = targetStatus
    }
}

/// The members of one shared image on one target.
public struct MemberImageReport: Sendable, Hashable, Encodable {
    public var id: String
    public var name: String?
    public var members: [MemberReport]

    public init(id: String, name: String?, members: [MemberReport]) {
        self.id = id
        self.name = name
        self.members = members
    }

    enum CodingKeys: String, CodingKey {
        case id, name, members
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(members, forKey: .members)
    }
}

/// What `--members` found and did on one target.
public struct MemberSummary: Sendable, Hashable, Encodable {
    /// Members added to shared copies.
    public var added: Int
    /// Members removed from shared copies (`--prune-members`).
    public var removed = 0
    /// Members the copies lack (before this run's additions).
    public var missing = 0
    /// Members the copies have and the source's images do not (before this run's removals).
    public var extra = 0
    /// One line per image whose members could not be compared or replicated.
    public var errors: [String]
    /// Every shared image compared, with its members.
    public var images: [MemberImageReport] = []

    public init(added: Int = 0, errors: [String] = []) {
        self.added = added
        self.errors = errors
    }

    /// Whether any copy's members differ from its source's (missing or extra members).
    public var hasDifferences: Bool { missing + extra > 0 }

    /// Adds `other`'s counts, errors and images to these (`sync`: one region's copies of several origins).
    public mutating func merge(_ other: MemberSummary) {
        added += other.added
        removed += other.removed
        missing += other.missing
        extra += other.extra
        errors += other.errors
        images += other.images
    }

    /// Whether a run would add or remove a member.
    public var hasWork: Bool {
        images.contains { $0.members.contains { $0.action == .add || $0.action == .remove } }
    }
}
