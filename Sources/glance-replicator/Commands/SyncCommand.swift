import ArgumentParser
import CatalogDiff
import SyncEngine

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Make every REGION hold the in-scope images of all of them: N regions, one catalog, one run.",
        discussion: """
            Each REGION is listed once. An image's origin is the region where it is native (its record has no \
            glance_replicator_source property); every copy names its origin in that property, so every run, \
            from any machine, agrees on the direction. Each image missing somewhere is read once, from its \
            origin (or, when the origin cannot be listed, from a region holding a copy), and fanned out to \
            every region lacking it through the spool, verified as replicate does. A copy's metadata is put \
            back to the origin's; a copy never pushes its edits back. An image native in two regions with \
            different data is a data_conflict, reported in both and never overwritten. The origin's status \
            follows too: an image deactivated at its origin is deactivated wherever a copy is active \
            (status_drift) and copied nowhere (deactivated_at_origin); reactivated there, it is reactivated \
            everywhere; a copy deactivated by hand is reactivated. With --prune, a copy \
            whose origin no longer has the image is deleted (never a protected one, at most --max-delete per \
            region); a region that cannot be listed deletes nothing anywhere, and the others still converge.

            With --preserve-owner, new copies keep their origin's owner in every region whose credentials have \
            the admin role. With --members, the copies of shared images get the member projects the image has \
            at its origin (--member-map maps the origin's project ids to the copies', --prune-members removes \
            the members a copy has and the origin lacks); a copy's members never travel back. With --stores \
            (stores every region has) or --all-stores (each region's own), new copies land in every store and \
            a copy in fewer is missing_in_stores, copied into the rest by Glance's copy-image import.

            The report is a matrix: one row per image, one column per region, each cell the image's state \
            there and what the run does about it (in the table, --format json, --report and --report-html).

            Exit codes: 0 converged (or the rest deferred by --window, --max-transfer, --max-duration), \
            1 --dry-run found work to do, 3 some images failed or are in data_conflict, --prune refused, or a \
            region could not be listed (the others were done), 4 fatal (no region could be listed), 5 another \
            run of the same job holds its lock, 130/143 stopped by SIGINT/SIGTERM.

            Examples:
              glance-replicator sync http://region-a:9292 http://region-b:9292 http://region-c:9292 --dry-run
              glance-replicator sync cloud:prod/RegionOne cloud:prod/RegionTwo cloud:prod/RegionThree \\
                  --transfer-mode auto --prune --report-html /var/www/mesh.html
              glance-replicator sync --config /etc/glance-replicator/mesh.yaml   # regions: [a:9292, b:9292]
            """
    )

    @Argument(
        help: ArgumentHelp("The catalogs to converge (two or more).", valueName: "region"),
        transform: CommandLineValue.location
    )
    var regions: [ImageLocation] = []

    @Flag(name: .long, help: "Plan and report, write nothing; exit 1 when there is work to do.")
    var dryRun = false

    @OptionGroup var owner: OwnerOptions
    @OptionGroup(title: "Members") var members: MemberOptions

    @OptionGroup var common: CommonOptions
    @OptionGroup(title: "Transfer options") var transfer: TransferOptions
    @OptionGroup(title: "Pruning") var pruning: PruneOptions

    func validate() throws {
        guard regions.count >= 2 else { throw ValidationError("sync needs two or more REGIONs") }
        if pruning.sourceName != nil {
            throw ValidationError(
                "--source-name is for replicate and load: in sync every region is a source, and copies name their "
                    + "origin by its cloud name (NAME/REGION) or a digest of its URL"
            )
        }
    }

    /// Two names for one catalog would make it its own origin; a `--bwlimit REGION=RATE` must name a region.
    private func checkRegions(_ locations: [ImageLocation]) throws {
        var seen = Set<String>()
        for location in locations where !seen.insert(location.description).inserted {
            throw ReplicatorError.invalidOption("\(location) is given twice: each region once")
        }
        try transfer.checkTargetLimits(locations, naming: "regions")
        try members.check(scope: common)
    }

    func run() async throws {
        try checkRegions(regions)
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
            return try await Sync.run(regions: regions, options: options, logger: logger)
        }
        display?.end()
        try ReportOutput.print(report, format: common.format)
        try common.audit.writeFiles(report)
        try RunOutcome.stopped(
            by: report.interruptedBy,
            interrupted: report.images.flatMap(\.cells).filter { $0.result == .interrupted }.count
        )
        try RunOutcome.sync(report)
    }
}

extension SyncCommand: JobCommand {
    var locations: [ImageLocation] { regions }
    var writes: Bool { !dryRun }
}
