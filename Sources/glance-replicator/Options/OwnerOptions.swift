import ArgumentParser
import SyncEngine

/// `--preserve-owner`: who owns the copies `replicate` and `sync` make.
struct OwnerOptions: ParsableArguments {
    @Flag(
        name: .long,
        help: """
            New copies keep the owner of the image they copy (in sync: its origin's) where the target's \
            credentials have the admin role; elsewhere the replicating project owns them (the report says which).
            """
    )
    var preserveOwner = false

    func apply(to options: inout ReplicationOptions) {
        options.preserveOwner = preserveOwner
    }
}
