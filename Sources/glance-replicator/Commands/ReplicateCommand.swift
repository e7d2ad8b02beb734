import ArgumentParser
import CatalogDiff
import SyncEngine

struct ReplicateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicate",
        abstract: "Make each TARGET hold every in-scope SOURCE image, with the same id, data and metadata.",
        discussion: """
            Missing images are created with the source's id and metadata, their data read from SOURCE once \
            (whatever the number of TARGETs) into the spool and uploaded to every TARGET as it arrives, \
            verified (size, md5, os_hash_value) before Glance activates them; protected is set last. A \
            broken download continues with an HTTP Range request; a run that is killed or interrupted is \
            continued by the next one from the spool and the state journal, so no byte is fetched twice. \
            Metadata drift is repaired with one JSON-patch request per image. Images whose data differs \
            under the same id (data_conflict) are reported, never overwritten; extra TARGET images are \
            reported only.

            Exit codes: 0 done (every TARGET in sync, or the rest deferred by --window, --max-transfer or \
            --max-duration), 1 --dry-run found work to do, 3 some images failed or are in data_conflict (the \
            others were done), 4 fatal, 5 another run of the same job holds its lock, 130/143 stopped by \
            SIGINT/SIGTERM (transfers under way are cut off cleanly and continued by the next run).

            Examples:
              glance-replicator replicate http://127.0.0.1:9292 http://127.0.0.1:9293 --dry-run
              glance-replicator replicate region-a:9292 region-b:9292 region-c:9292 --format json > report.json
              glance-replicator replicate http://core:9292 http://edge-7:9292 --spool always --bwlimit 20M \\
                  --max-duration 5h
              glance-replicator livecopy region-a:9292 region-b:9292 --dontreplicate owner_specified.openstack.md5
            """,
        aliases: ["livecopy"]
    )

    @Argument(help: "The catalog to copy from (a Glance endpoint).", transform: CommandLineValue.location)
    var source: ImageLocation

    @Argument(
        help: ArgumentHelp("The catalogs to bring in line with SOURCE (one or more).", valueName: "target"),
        transform: CommandLineValue.location
    )
    var targets: [ImageLocation] = []

    @Flag(name: .long, help: "Plan and report, write nothing; exit 1 when there is work to do.")
    var dryRun = false

    @OptionGroup var owner: OwnerOptions

    @OptionGroup(title: "Members") var members: MemberOptions

    @OptionGroup var common: CommonOptions
    @OptionGroup(title: "Transfer options") var transfer: TransferOptions

    func validate() throws {
        guard !targets.isEmpty else { throw ValidationError("Missing expected argument '<target> ...'") }
    }

    /// A `--bwlimit TARGET=RATE` must name one of the targets. Checked when the run starts rather than in
    /// `validate()`, because a job file's options are first checked one by one without the real locations.
    private func checkTargetLimits() throws {
        try members.check(scope: common)
        try transfer.checkTargetLimits(targets, naming: "targets")
    }

    @OptionGroup(title: "Pruning") var pruning: PruneOptions

    func run() async throws {
        try checkTargetLimits()
        let logger = common.makeLogger()
        var options = try common.options(mode: .replicate(dryRun: dryRun))
        try transfer.apply(to: &options)
        pruning.apply(to: &options)
        owner.apply(to: &options)
        try members.apply(to: &options)
        let display = dryRun ? nil : transfer.progressDisplay(logFormat: common.unattended.logFormat)
        options.observer = display
        let report = try await StopRequest.withSignalHandling { stop in
            options.stop = stop
            return try await Replication.run(
                source: source,
                targets: targets,
                options: options,
                logger: logger,
                keeping: KeptUntilExit.keep
            )
        }
        display?.end()
        try ReportOutput.print(report, format: common.format)
        try common.audit.writeFiles(report)
        try RunOutcome.stopped(
            by: report.interruptedBy,
            interrupted: report.targets.flatMap(\.images).filter { $0.result == .interrupted }.count
        )
        try RunOutcome.replicate(report, dryRun: dryRun)
    }
}
