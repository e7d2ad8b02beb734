import ArgumentParser
import SyncEngine

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Audit: show how TARGET differs from SOURCE. Writes nothing.",
        discussion: """
            Every in-scope SOURCE image is in_sync, missing, metadata_drift, status_drift (deactivated on \
            one side only) or data_conflict on TARGET; a TARGET image in scope that SOURCE lacks is extra. \
            SOURCE images that are not copied say why: deactivated_at_source (never copied), no_data \
            (queued, importing, or a failed import); neither is a difference. With --members, missing and \
            extra members of shared copies are differences too. Exit code 0 when the catalogs match, 1 when \
            they differ.

            Examples:
              glance-replicator compare http://127.0.0.1:9292 http://127.0.0.1:9293
              glance-replicator compare region-a:9292 region-b:9292 --visibility public,community,shared
              glance-replicator compare region-a:9292 region-b:9292 --format json | jq .targets[0].summary
            """
    )

    @Argument(
        help: "The catalog to compare against (a Glance endpoint or dir:PATH).",
        transform: CommandLineValue.location
    )
    var source: ImageLocation

    @Argument(
        help: "The catalog that should match SOURCE (a Glance endpoint or dir:PATH).",
        transform: CommandLineValue.location
    )
    var target: ImageLocation

    @OptionGroup var common: CommonOptions
    @OptionGroup(title: "Members") var members: MemberOptions

    func run() async throws {
        try members.check(scope: common)
        let logger = common.makeLogger()
        var options = try common.options(mode: .compare)
        try members.apply(to: &options)
        let report = try await Replication.run(
            source: source,
            targets: [target],
            options: options,
            logger: logger,
            keeping: KeptUntilExit.keep
        )
        try ReportOutput.print(report, format: common.format)
        try common.audit.writeFiles(report)
        try RunOutcome.compare(report)
    }
}
