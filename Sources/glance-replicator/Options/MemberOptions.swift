import ArgumentParser
import SyncEngine

/// `--members`, `--member-map` and `--prune-members`: the members of shared images, compared by every
/// command that plans (compare, replicate, --dry-run) and replicated by replicate.
struct MemberOptions: ParsableArguments {
    @Flag(
        name: .long,
        help: """
            Compare the member projects of shared images with the source's (missing and extra members are \
            drift; each member's status is reported, never copied); replicate adds the missing ones. Needs \
            shared in --visibility.
            """
    )
    var members = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --members: a YAML mapping of source project ids to target project ids (two Keystones).",
            valueName: "file"
        )
    )
    var memberMap: String?

    @Flag(
        name: .long,
        help: "With --members: remove members of shared copies that the source's image does not have."
    )
    var pruneMembers = false

    /// Checked when the run starts (a job file's options are first checked one by one).
    func check(scope: CommonOptions) throws {
        if members, try !scope.scope().visibilities.contains(.shared) {
            throw ValidationError("--members replicates the members of shared images: add shared to --visibility")
        }
        if memberMap != nil, !members { throw ValidationError("--member-map needs --members") }
        if pruneMembers, !members { throw ValidationError("--prune-members needs --members") }
    }

    func apply(to options: inout ReplicationOptions) throws {
        options.members = members
        options.pruneMembers = pruneMembers
        if let memberMap { options.memberMap = try MemberMap.load(memberMap) }
    }
}
