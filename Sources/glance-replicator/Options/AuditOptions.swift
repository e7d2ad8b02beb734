import ArgumentParser
import CatalogDiff
import SyncEngine

/// Options of the audit features every catalog command shares: duplicates and report files.
struct AuditOptions: ParsableArguments {
    @Flag(
        name: .customLong("copy-duplicates"),
        help: "Copy same_content_other_id images too (the target holds their data under another id)."
    )
    var copyDuplicates = false

    @Option(name: .customLong("report"), help: ArgumentHelp("Also write the JSON report to FILE.", valueName: "file"))
    var reportFile: String?

    @Option(
        name: .customLong("report-html"),
        help: ArgumentHelp("Also write a self-contained HTML page of the report to FILE.", valueName: "file")
    )
    var htmlReportFile: String?
}

/// `--prune` and `--max-delete`, for the commands that write a target (`replicate`, `load`).
struct PruneOptions: ParsableArguments {
    @Flag(
        name: .long,
        help: """
            Delete extra TARGET images whose glance_replicator_source property names SOURCE (copies whose \
            origin is gone); never protected ones.
            """
    )
    var prune = false

    @Option(
        name: .customLong("max-delete"),
        help: ArgumentHelp("With --prune: over this many deletions, delete nothing.", valueName: "n")
    )
    var maxDelete: Int = 10

    @Option(
        name: .customLong("source-name"),
        help: ArgumentHelp(
            """
            The name every copy's glance_replicator_source property gives SOURCE, and that --prune looks for \
            (default: NAME/REGION for cloud:NAME/REGION, else glance-<digest of the URL>; never the URL, which \
            every project that sees the image can read). Copies that hold the URL are still recognised.
            """,
            valueName: "name"
        )
    )
    var sourceName: String?

    func validate() throws {
        guard maxDelete >= 0 else { throw ValidationError("--max-delete must be 0 or more") }
        if let sourceName { try Provenance.validate(sourceName: sourceName) }
    }

    func apply(to options: inout ReplicationOptions) {
        options.audit.prune = prune
        options.audit.maxDelete = maxDelete
        options.sourceName = sourceName
    }
}
