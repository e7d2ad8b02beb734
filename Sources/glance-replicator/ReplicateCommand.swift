import ArgumentParser
import CatalogDiff
import SyncEngine

struct ReplicateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicate",
        abstract: "Make TARGET hold every in-scope SOURCE image, with the same id, data and metadata.",
        discussion: """
            Missing images are created with the source's id and metadata, their data streamed from SOURCE \
            to TARGET and verified (size, md5, os_hash_value) before Glance activates them; protected is \
            set last. Metadata drift is repaired with one JSON-patch request per image. Images whose data \
            differs under the same id (data_conflict) are reported, never overwritten; extra TARGET images \
            are reported only. A failed copy is deleted from TARGET: nothing is left queued or saving.

            Exit codes: 0 done (TARGET in sync), 1 --dry-run found work to do, 3 some images failed or \
            are in data_conflict (the others were done), 4 fatal.

            Examples:
              glance-replicator replicate http://127.0.0.1:9292 http://127.0.0.1:9293 --dry-run
              glance-replicator replicate region-a:9292 region-b:9292 --format json > report.json
              glance-replicator livecopy region-a:9292 region-b:9292 --dontreplicate owner_specified.openstack.md5
            """,
        aliases: ["livecopy"]
    )

    @Argument(help: "The catalog to copy from (a Glance endpoint).")
    var source: String

    @Argument(help: "The catalog to bring in line with SOURCE.")
    var target: String

    @Flag(name: .long, help: "Plan and report, write nothing; exit 1 when there is work to do.")
    var dryRun = false

    @OptionGroup var common: CommonOptions

    @OptionGroup(title: "Pruning") var pruning: PruneOptions

    func run() async throws {
        let logger = common.makeLogger()
        var options = try common.options(mode: .replicate(dryRun: dryRun))
        pruning.apply(to: &options)
        let report = try await Replication.run(
            source: try parseLocation(source),
            targets: [try parseLocation(target)],
            options: options,
            logger: logger
        )
        try ReportOutput.print(report, format: common.format)
        try common.audit.writeFiles(report)
        try RunOutcome.replicate(report, dryRun: dryRun)
    }
}
