/// The members a shared image's copy lacks: the source's member projects, mapped to the target's project
/// ids (a mapping file for two Keystones; the same id within one), minus those the target already has.
///
/// Members are only added: a target member the source lacks may have been shared there on purpose, and the
/// status (accepted, pending, rejected) is the member project's own decision, never the owner's to copy.
public struct MemberPlan: Sendable, Hashable {
    /// Target project ids to add, sorted.
    public var toAdd: [String]

    public init(source: [String], target: [String], mapping: [String: String]) {
        let wanted = Set(source.map { mapping[$0] ?? $0 })
        toAdd = wanted.subtracting(target).sorted()
    }
}

/// What `--members` did on one target.
public struct MemberSummary: Sendable, Hashable, Encodable {
    /// Members added to shared copies.
    public var added: Int
    /// One line per image whose members could not be replicated.
    public var errors: [String]

    public init(added: Int = 0, errors: [String] = []) {
        self.added = added
        self.errors = errors
    }
}
