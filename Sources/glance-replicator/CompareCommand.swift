import ArgumentParser
import SyncEngine

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Audit: show how TARGET differs from SOURCE. Writes nothing.",
        discussion: """
            Every in-scope SOURCE image is in_sync, missing, metadata_drift or data_conflict on TARGET; a \
            TARGET image in scope that SOURCE lacks is extra. Exit code 0 when the catalogs match, 1 when \
            they differ.

            Examples:
              glance-replicator compare http://127.0.0.1:9292 http://127.0.0.1:9293
              glance-replicator compare region-a:9292 region-b:9292 --visibility public,community,shared
              glance-replicator compare region-a:9292 region-b:9292 --format json | jq .targets[0].summary
            """
    )

    @Argument(help: "The catalog to compare against (a Glance endpoint or dir:PATH).")
    var source: String

    @Argument(help: "The catalog that should match SOURCE (a Glance endpoint or dir:PATH).")
    var target: String

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let logger = common.makeLogger()
        let options = try common.options(mode: .compare)
        let report = try await Replication.run(
            source: try parseLocation(source),
            targets: [try parseLocation(target)],
            options: options,
            logger: logger
        )
        try ReportOutput.print(report, format: common.format)
        try common.audit.writeFiles(report)
        try RunOutcome.compare(report)
    }
}
