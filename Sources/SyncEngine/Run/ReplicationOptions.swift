import CatalogDiff
import Foundation

/// What a run is asked to do.
public struct ReplicationOptions: Sendable {
    public enum Mode: Sendable, Hashable {
        /// Audit only: report the differences.
        case compare
        /// Make the targets hold every in-scope source image; `dryRun` plans without writing.
        case replicate(dryRun: Bool)
    }

    public var mode: Mode
    public var scope: ImageScope
    public var rules: FieldRules
    /// X-Auth-Token for every endpoint.
    public var token: String?
    /// X-Auth-Token for the source's, or the targets', bare endpoints when it is not `token`
    /// (`--source-token`, `--target-token`).
    public var sourceToken: String?
    public var targetToken: String?
    /// Images worked on at once.
    public var concurrency: Int
    /// The state journal's path; nil runs without one (audits never open it).
    public var statePath: String?
    public var spool: SpoolPolicy
    public var order: TransferOrder
    public var budget: TransferBudget
    /// Bytes per second read from the source, for the whole run (`--bwlimit RATE`).
    public var bandwidthLimit: Int64?
    /// Bytes per second sent to a target (`--bwlimit TARGET=RATE`), by `ImageLocation.bandwidthKey`: the
    /// endpoint root of a URL, the location as written for a `cloud:` target.
    public var targetBandwidthLimits: [String: Int64] = [:]
    public var observer: (any TransferObserver)?
    /// No new image is started outside this daily window (`--window`); nil for any time.
    public var window: TimeWindow?
    /// Set by SIGINT/SIGTERM.
    public var stop: StopRequest?
    /// Stores of multi-store targets every image must be in: listed (`--stores`), or all a target has
    /// (`--all-stores`); nil leaves stores to each target's default.
    public var stores: StoreSelection?
    /// Which images start first (`--priority`), before `order` applies.
    public var priority = TransferPriority()
    /// Who moves the bytes (`--transfer-mode`).
    public var transferMode: TransferMode = .stream
    /// How data reaches the targets (`--upload-method`).
    public var uploadMethod: UploadMethod = .auto
    /// Duplicates, pruning (see `ReplicationOptions+audit.swift`).
    public var audit = Audit()
    /// `--members`: shared copies get the source's member projects, mapped source id -> target id (ids not
    /// in the map are the same on both sides, as within one Keystone).
    public var members = false
    public var memberMap: [String: String] = [:]
    /// `--prune-members`: with `members`, remove a copy's members that the source's image lacks.
    public var pruneMembers = false
    /// `--source-name`: the provenance value of every copy; nil for `ImageLocation.provenanceName`.
    public var sourceName: String?
    /// New copies keep the source's owner where the target's credentials have the admin role.
    public var preserveOwner = false
    /// Where `cloud:` locations find clouds.yaml and the OS_* variables (the process's, unless a test says).
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init(
        mode: Mode,
        scope: ImageScope,
        rules: FieldRules,
        token: String?,
        concurrency: Int = 4,
        statePath: String? = nil,
        spool: SpoolPolicy = SpoolPolicy(mode: .never, directory: "", maxBytes: nil),
        order: TransferOrder = .size,
        budget: TransferBudget = TransferBudget(),
        bandwidthLimit: Int64? = nil,
        observer: (any TransferObserver)? = nil,
        stop: StopRequest? = nil
    ) {
        self.mode = mode
        self.scope = scope
        self.rules = rules
        self.token = token
        self.concurrency = max(1, concurrency)
        self.statePath = statePath
        self.spool = spool
        self.order = order
        self.budget = budget
        self.bandwidthLimit = bandwidthLimit
        self.observer = observer
        self.stop = stop
    }

    var writes: Bool { mode == .replicate(dryRun: false) }

    /// `$XDG_STATE_HOME/glance-replicator/state.sqlite` (`~/.local/state/...` when unset).
    public static var defaultStatePath: String {
        "\(xdg("XDG_STATE_HOME", ".local/state"))/glance-replicator/state.sqlite"
    }

    /// `$XDG_CACHE_HOME/glance-replicator/spool` (`~/.cache/...` when unset).
    public static var defaultSpoolDirectory: String {
        "\(xdg("XDG_CACHE_HOME", ".cache"))/glance-replicator/spool"
    }

    private static func xdg(_ variable: String, _ fallback: String) -> String {
        if let value = ProcessInfo.processInfo.environment[variable], value.hasPrefix("/") { return value }
        return "\(NSHomeDirectory())/\(fallback)"
    }
}

/// Which stores of a multi-store target images must be in.
public enum StoreSelection: Sendable, Hashable {
    case listed([String])
    case all
}

extension ReplicationOptions {
    /// The pace of uploads into the target at `location` (`--bwlimit TARGET=RATE`).
    func uploadPace(to location: ImageLocation) -> RateLimiter? {
        location.bandwidthKey.flatMap { targetBandwidthLimits[$0] }.map { RateLimiter(bytesPerSecond: $0) }
    }
}
