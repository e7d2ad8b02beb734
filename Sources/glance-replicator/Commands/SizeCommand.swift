import ArgumentParser
import SyncEngine

struct SizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "size",
        abstract: "Count the in-scope images of SOURCE and their bytes. Writes nothing.",
        discussion: """
            Lists SOURCE once (a Glance endpoint or a dump directory) and prints each in-scope image with \
            its size, then the total. The filters and --visibility decide the scope, as for every command. \
            Exit code 0.

            Examples:
              glance-replicator size http://127.0.0.1:9292
              glance-replicator size region-a:9292 --visibility public,community,shared --format json
              glance-replicator size dir:/srv/dumps/r1 --include-name 'debian-*' --min-size 1G
            """
    )

    @Argument(help: "The catalog to measure (a Glance endpoint or dir:PATH).", transform: CommandLineValue.location)
    var source: ImageLocation

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let logger = common.makeLogger()
        let report = try await Replication.size(
            source: source,
            options: try common.options(mode: .compare),
            logger: logger
        )
        try ReportOutput.print(report, format: common.format)
        try common.audit.writeFiles(report)
    }
}
