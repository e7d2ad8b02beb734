import ArgumentParser
import CatalogDiff
import Foundation
import SyncEngine

/// Options of commands that copy data: where state and spool live, limits, order, progress.
struct TransferOptions: ParsableArguments {
    @OptionGroup var journal: JournalOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            """
            auto (data lands in the spool as it streams, uploads follow; the default), always (download and \
            verify before uploading, for edge links), never (stream only), or a DIR for the spool \
            (default: $XDG_CACHE_HOME/glance-replicator/spool). Repeatable: --spool always --spool /srv/spool.
            """,
            valueName: "mode|dir"
        )
    )
    var spool: [String] = []

    @Option(
        name: .customLong("spool-max"),
        help: ArgumentHelp("Most disk the spool may use (e.g. 20G).", valueName: "size"),
        transform: CommandLineValue.size
    )
    var spoolMax: Int64?

    @Option(
        name: .customLong("spool-max-age"),
        help: ArgumentHelp(
            """
            Delete spool files no run has touched for DURATION (default 7d; e.g. 2d, 36h): partial downloads \
            of images gone from their source, or never resumed. Files a running copy holds are never deleted.
            """,
            valueName: "duration"
        ),
        transform: CommandLineValue.duration
    )
    var spoolMaxAge: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            """
            RATE: bytes per second read from SOURCE in the whole run (e.g. 50M); TARGET=RATE: bytes per second \
            sent to that TARGET, named as it is given (e.g. http://edge-7:9292=5M, cloud:edge/RegionSeven=5M). \
            Repeatable.
            """,
            valueName: "[target=]rate"
        ),
        transform: BandwidthLimit.init(parsing:)
    )
    var bwlimit: [BandwidthLimit] = []

    @Option(
        name: .customLong("max-transfer"),
        help: ArgumentHelp(
            "Start no image that would take the run past SIZE read (e.g. 100G; 0: copy no data, repair metadata only).",
            valueName: "size"
        ),
        transform: CommandLineValue.sizeOrZero
    )
    var maxTransfer: Int64?

    @Option(
        name: .customLong("max-duration"),
        help: ArgumentHelp("Start no image after DURATION (e.g. 90m, 2h, 1h30m).", valueName: "duration"),
        transform: CommandLineValue.duration
    )
    var maxDuration: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Stores of a multi-store target every image must be in (comma list; copy-image fills the rest).",
            valueName: "list"
        )
    )
    var stores: String?

    @Flag(name: .customLong("all-stores"), help: "Every image in every store of each multi-store target.")
    var allStores = false

    @Option(
        name: .customLong("transfer-mode"),
        help: """
            Who moves the bytes: stream (this host reads SOURCE once and uploads to each TARGET), \
            glance-download (each TARGET pulls from SOURCE's region itself; both cloud:NAME/REGION of one \
            cloud), web-download (each TARGET fetches SOURCE's data URL; only for a SOURCE that serves data \
            without a token), or auto (glance-download where a TARGET can, stream elsewhere).
            """
    )
    var transferMode: TransferMode = .stream

    @Option(
        name: .customLong("upload-method"),
        help: """
            How data reaches a target: put (PUT /file), import (stage, then the glance-direct import), or auto \
            (PUT, and the import from a target's first 403 on).
            """
    )
    var uploadMethod: UploadMethod = .auto

    @Option(
        name: .long,
        help: ArgumentHelp(
            """
            Images matching this rule start first: tag:NAME or property:KEY=VALUE. Repeatable: earlier rules \
            go first; within each group --order applies.
            """,
            valueName: "rule"
        ),
        transform: CommandLineValue.priorityRule
    )
    var priority: [TransferPriority.Rule] = []

    @Option(name: .long, help: "Order in which images start: size (smallest first), name or created.")
    var order: TransferOrder = .size

    @Option(
        name: .long,
        help:
            "Progress on stderr: auto (bars on a terminal, lines otherwise; none with --log-format json), bars, lines, none."
    )
    var progress: ProgressStyle = .auto

    func validate() throws {
        _ = try spoolPolicy()
        if allStores && stores != nil { throw ValidationError("--stores and --all-stores exclude each other") }
        if let stores, stores.split(separator: ",").isEmpty { throw ValidationError("--stores needs a store name") }
    }

    /// `--bwlimit RATE` for the run (the last one given), `--bwlimit TARGET=RATE` per target (by endpoint root).
    func bandwidthLimits() -> (run: Int64?, targets: [String: Int64]) {
        var run: Int64?
        var targets: [String: Int64] = [:]
        for limit in bwlimit {
            if let target = limit.target { targets[target] = limit.bytesPerSecond } else { run = limit.bytesPerSecond }
        }
        return (run, targets)
    }

    /// Refuses a `--bwlimit TARGET=RATE` that names none of `targets` (a URL, or `cloud:NAME/REGION` as
    /// written there; a cloud's Glance is not known by its URL before its catalog is read).
    func checkTargetLimits(_ targets: [ImageLocation], naming role: String) throws {
        let keys = Set(targets.compactMap(\.bandwidthKey))
        for key in bandwidthLimits().targets.keys.sorted() where !keys.contains(key) {
            throw ReplicatorError.invalidOption("--bwlimit names \(key), which is not one of the \(role)")
        }
    }

    func spoolPolicy() throws -> SpoolPolicy {
        var policy = SpoolPolicy(mode: .auto, directory: ReplicationOptions.defaultSpoolDirectory, maxBytes: nil)
        for value in spool {
            if let mode = SpoolPolicy.Mode(rawValue: value) {
                policy.mode = mode
            } else if value.isEmpty {
                throw ValidationError("--spool needs auto, always, never or a directory")
            } else {
                policy.directory = value.hasPrefix("/") ? value : "\(FileManager.default.currentDirectoryPath)/\(value)"
            }
        }
        policy.maxBytes = spoolMax
        if let spoolMaxAge { policy.staleAge = spoolMaxAge }
        return policy
    }

    /// Adds this group's settings to a run's options.
    func apply(to options: inout ReplicationOptions) throws {
        options.statePath = journal.path
        options.spool = try spoolPolicy()
        options.order = order
        options.priority = TransferPriority(rules: priority)
        options.uploadMethod = uploadMethod
        options.transferMode = transferMode
        if allStores {
            options.stores = .all
        } else if let stores {
            options.stores = .listed(
                stores.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            )
        }
        options.budget = TransferBudget(
            maxBytes: maxTransfer,
            maxSeconds: maxDuration
        )
        let limits = bandwidthLimits()
        options.bandwidthLimit = limits.run
        options.targetBandwidthLimits = limits.targets
    }
}

enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
    case auto
    case bars
    case lines
    case none
}

extension TransferOrder: ExpressibleByArgument {}

extension UploadMethod: ExpressibleByArgument {}

extension TransferMode: ExpressibleByArgument {}

extension TransferOptions {
    /// The progress display of a run that copies. JSON logs are read by machines: the per-image log lines
    /// stand in for progress unless bars are asked for.
    func progressDisplay(logFormat: LogFormat) -> ProgressDisplay? {
        ProgressDisplay.make(logFormat == .json && progress == .auto ? .none : progress)
    }
}
