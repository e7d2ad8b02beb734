import ArgumentParser
import SyncEngine

struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Copy the in-scope images of SOURCE into a dump directory (dir:PATH), verified.",
        discussion: """
            Writes <id>.json (the image's Glance v2 JSON exactly as the API returned it) and <id>.img (its \
            data) per image. Data goes to <id>.img.part, is verified against the source's size, md5 and \
            os_hash_value, and is renamed; the .json is written last. Run it again to resume: complete \
            images are skipped, a partial download continues with a Range request, and a truncated .img is \
            never kept. Images whose data in the dump differs from the source's are data_conflict: \
            reported, never overwritten.

            Exit codes: 0 done, 3 some images failed or are in data_conflict, 4 fatal.

            Examples:
              glance-replicator dump http://127.0.0.1:9292 dir:/srv/dumps/r1
              glance-replicator dump region-a:9292 dir:./catalog --metaonly --visibility public
            """
    )

    @Argument(help: "The catalog to dump (a Glance endpoint).", transform: CommandLineValue.location)
    var source: ImageLocation

    @Argument(help: "The dump directory, dir:PATH (created if absent).", transform: CommandLineValue.location)
    var target: ImageLocation

    @Flag(name: .long, help: "Write only the .json records, no data.")
    var metaonly = false

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let logger = common.makeLogger()
        guard case .dump(let directory) = target else {
            throw ValidationError("dump writes into a dump directory: TARGET must be dir:PATH (to copy, use replicate)")
        }
        let report = try await Replication.dump(
            source: source,
            to: directory,
            options: try common.options(mode: .replicate(dryRun: false)),
            metaOnly: metaonly,
            logger: logger
        )
        try ReportOutput.print(report, format: common.format)
        try common.audit.writeFiles(report)
        try RunOutcome.replicate(report, dryRun: false)
    }
}
