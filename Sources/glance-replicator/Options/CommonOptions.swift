import ArgumentParser
import CatalogDiff
import Foundation
import Logging
import SyncEngine

/// Options every catalog command shares.
struct CommonOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Visibilities in scope, a comma list of public, community, shared, private.",
            valueName: "list"
        )
    )
    var visibility: String = "public,community"

    @Option(name: .long, help: "Output format: table or json.")
    var format: OutputFormat = .table

    @Option(
        name: .long,
        help: ArgumentHelp(
            "X-Auth-Token sent to http(s):// and HOST:PORT endpoints (default: $OS_AUTH_TOKEN); cloud:NAME/REGION "
                + "locations get theirs from Keystone (clouds.yaml).",
            valueName: "token"
        )
    )
    var token: String?

    @Option(
        name: [.customLong("os-cacert"), .customLong("cacert")],
        help: ArgumentHelp(
            "CA bundle (PEM) that verifies https:// endpoints and clouds' Keystone and Glance instead of the "
                + "system CAs (default: $OS_CACERT; as OS_CACERT, it overrides cacert: in clouds.yaml).",
            valueName: "file"
        )
    )
    var osCACert: String?

    @Option(
        name: .customLong("source-token"),
        help: ArgumentHelp(
            "X-Auth-Token for an http(s):// or HOST:PORT SOURCE that takes another token than --token.",
            valueName: "token"
        )
    )
    var sourceToken: String?

    @Option(
        name: .customLong("target-token"),
        help: ArgumentHelp(
            "X-Auth-Token for http(s):// and HOST:PORT TARGETs that take another token than --token.",
            valueName: "token"
        )
    )
    var targetToken: String?

    @Option(
        name: .long,
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Properties never compared or copied (space or comma separated; may be repeated).",
            valueName: "prop"
        )
    )
    var dontreplicate: [String] = []

    @Option(name: .long, help: "Images worked on at once.")
    var concurrency: Int = 4

    @Flag(name: .shortAndLong, help: "Log each request and decision on stderr.")
    var verbose = false

    @OptionGroup(title: "Unattended runs") var unattended: UnattendedOptions

    @OptionGroup(title: "Filters")
    var filters: FilterOptions

    @OptionGroup(title: "Audit")
    var audit: AuditOptions

    func validate() throws {
        _ = try scope()
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
    }

    func scope() throws -> ImageScope {
        do {
            let set = try Visibility.parseList(visibility)
            guard !set.isEmpty else { throw ValidationError("--visibility needs at least one visibility") }
            return ImageScope(
                visibilities: set,
                shard: try unattended.resolvedShard(),
                filter: try filters.filter()
            )
        } catch let error as InvalidVisibility {
            throw ValidationError(
                "--visibility: '\(error.word)' is not one of public, community, shared, private"
            )
        }
    }

    var rules: FieldRules {
        let names = dontreplicate.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }) }.map(String.init)
        return FieldRules(excluded: Set(names))
    }

    var effectiveToken: String? {
        if let token, !token.isEmpty { return token }
        if let token = ProcessInfo.processInfo.environment["OS_AUTH_TOKEN"], !token.isEmpty { return token }
        return nil
    }

    func makeLogger() -> Logger {
        let json = unattended.logFormat == .json
        // JSON logs feed a log system, so they carry the run's decisions (info); text stays quiet.
        let level: Logger.Level = verbose ? .debug : json ? .info : .warning
        LoggingSystem.bootstrap { label in
            if json {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = InertLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "glance-replicator")
        logger[metadataKey: "run_id"] = "\(RunIdentity.id)"
        if let token, !token.isEmpty {
            let message =
                "--token on the command line can be read by other users of this host (ps, /proc, shell history): "
                + "set OS_AUTH_TOKEN instead, or use a cloud: location from clouds.yaml"
            logger.warning("\(message)")
        }
        return logger
    }

    func options(mode: ReplicationOptions.Mode) throws -> ReplicationOptions {
        var options = ReplicationOptions(
            mode: mode,
            scope: try scope(),
            rules: rules,
            token: effectiveToken,
            concurrency: concurrency
        )
        if let osCACert, !osCACert.isEmpty { options.environment["OS_CACERT"] = osCACert }
        options.sourceToken = sourceToken.flatMap { $0.isEmpty ? nil : $0 }
        options.targetToken = targetToken.flatMap { $0.isEmpty ? nil : $0 }
        options.window = try unattended.timeWindow()
        options.audit.copyDuplicates = audit.copyDuplicates
        return options
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}
