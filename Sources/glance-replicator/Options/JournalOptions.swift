import ArgumentParser
import SyncEngine

/// Where the state journal is: shared by `replicate`, which writes it, and `status`, which reads it.
struct JournalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The state journal (default: $XDG_STATE_HOME/glance-replicator/state.sqlite).",
            valueName: "path"
        )
    )
    var state: String?

    var path: String { state ?? ReplicationOptions.defaultStatePath }
}
