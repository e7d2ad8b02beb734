import ArgumentParser
import SyncEngine

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Replicate from a dump directory (dir:PATH) into TARGET.",
        discussion: """
            The same as replicate with a dump as SOURCE: missing images are created with their ids and \
            metadata and their data streamed from <id>.img, verified against the dumped record before \
            Glance activates them; drift is repaired; conflicts are reported, never overwritten. Copies \
            name the dump (dir:PATH) in their glance_replicator_source property. Dumps of the old \
            glance-replicator (<id> v1 records) are read too, verified against their size and md5; the old \
            order, load TARGET PATH, is accepted.

            Exit codes: 0 done, 1 --dry-run found work to do, 3 some images failed or are in \
            data_conflict, 4 fatal.

            Examples:
              glance-replicator load dir:/srv/dumps/r1 http://edge-1:9292 --dry-run
              glance-replicator load dir:/media/usb/catalog edge-1:9292 --include-name 'debian-*'
            """
    )

    @Argument(help: "The dump directory to load from, dir:PATH.", transform: CommandLineValue.location)
    var source: ImageLocation

    @Argument(
        help: "The catalog to bring in line with the dump (a Glance endpoint).",
        transform: CommandLineValue.location
    )
    var target: ImageLocation

    @Flag(name: .long, help: "Plan and report, write nothing; exit 1 when there is work to do.")
    var dryRun = false

    @OptionGroup var common: CommonOptions

    @OptionGroup(title: "Pruning") var pruning: PruneOptions

    func run() async throws {
        let logger = common.makeLogger()
        guard case .dump = source else {
            throw ValidationError("load reads a dump directory: SOURCE must be dir:PATH (or use replicate)")
        }
        var options = try common.options(mode: .replicate(dryRun: dryRun))
        pruning.apply(to: &options)
        let report = try await Replication.run(
            source: source,
            targets: [target],
            options: options,
            logger: logger,
            keeping: KeptUntilExit.keep
        )
        try ReportOutput.print(report, format: common.format)
        try common.audit.writeFiles(report)
        try RunOutcome.replicate(report, dryRun: dryRun)
    }
}
