import ArgumentParser
import CatalogDiff
import Foundation
import SyncEngine

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the state journal: the last runs, transfers left partial, and the spool's disk use.",
        discussion: """
            Reads the journal that replicate keeps (--state) and the spool directory (--spool). A partial \
            transfer is one that some target does not hold yet: the next replicate run of the same SOURCE \
            continues it from its spool file. Burnt ids are image ids a target refused because an image with \
            that id was deleted there, per target, until a copy succeeds. Writes nothing.

            Examples:
              glance-replicator status
              glance-replicator status --state /var/lib/glance-replicator/state.sqlite --format json
            """
    )

    @OptionGroup var journal: JournalOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The spool directory (default: $XDG_CACHE_HOME/glance-replicator/spool).",
            valueName: "dir"
        )
    )
    var spool: String?

    @Option(name: .long, help: "How many runs to show.")
    var runs = 10

    @Option(name: .long, help: "Output format: table or json.")
    var format: OutputFormat = .table

    struct Status: Encodable {
        var journal: String
        var runs: [JournalRun]
        var partialTransfers: [JournalTransfer]
        var spoolDirectory: String
        var spoolBytes: Int64
        var burntIDs: [BurntID]

        enum CodingKeys: String, CodingKey {
            case journal, runs
            case burntIDs = "burnt_ids"
            case partialTransfers = "partial_transfers"
            case spoolDirectory = "spool_directory"
            case spoolBytes = "spool_bytes"
        }
    }

    func run() async throws {
        let path = journal.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw ReplicatorError.invalidOption(
                "no state journal at \(path): no replicate run has written one there (see --state)"
            )
        }
        let journal = try Journal(readingAt: path)
        let directory = spool ?? ReplicationOptions.defaultSpoolDirectory
        let status = Status(
            journal: path,
            runs: try await journal.lastRunsAsSeen(limit: runs),
            partialTransfers: try await journal.partialTransfers(),
            spoolDirectory: directory,
            spoolBytes: SpoolPolicy.diskUse(under: directory),
            burntIDs: try await journal.burntIDs()
        )
        switch format {
        case .json:
            try ReportOutput.printJSON(status)
        case .table:
            print("journal: \(status.journal)")
            print("runs (newest first):")
            if status.runs.isEmpty { print("  none") }
            for run in status.runs {
                print(
                    "  #\(run.id)  \(run.startedAt)  \(run.outcome.padding(toLength: 11, withPad: " ", startingAt: 0)) "
                        + "copied \(run.copied), failed \(run.failed), read \(Quantity.describe(bytes: run.bytesRead))  "
                        + TerminalText.inert("\(run.source) -> \(run.targets.joined(separator: " "))")
                )
            }
            print("partial transfers:")
            if status.partialTransfers.isEmpty { print("  none") }
            for transfer in status.partialTransfers {
                let targets = transfer.targets.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                print(
                    "  \(TerminalText.inert(transfer.imageID))  \(TerminalText.inert(transfer.name ?? "-"))  spooled \(Quantity.describe(bytes: transfer.spooledBytes)) "
                        + "of \(Quantity.describe(bytes: transfer.size))  from \(transfer.source)  "
                        + "[\(TerminalText.inert(targets.joined(separator: ", ")))]"
                )
            }
            print("spool: \(Quantity.describe(bytes: status.spoolBytes)) in \(status.spoolDirectory)")
            print("burnt ids (refused by a target as a deleted image's id; see README \"A burnt id\"):")
            if status.burntIDs.isEmpty { print("  none") }
            for target in Dictionary(grouping: status.burntIDs, by: \.target).sorted(by: { $0.key < $1.key }) {
                print("  \(target.key):")
                for burnt in target.value {
                    print("    \(burnt.imageID)  \(burnt.name ?? "-")  since \(burnt.detectedAt)  from \(burnt.source)")
                }
            }
        }
    }
}
