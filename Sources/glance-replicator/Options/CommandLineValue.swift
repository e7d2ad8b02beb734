import ArgumentParser
import CatalogDiff
import SyncEngine

/// Typed option values: each text is parsed once, where ArgumentParser reads it, into the value the run uses.
/// A value that does not parse is a usage error (exit 2) naming the option, the value and what it should be:
/// `The value '5X' is invalid for '--spool-max <size>': not a size (e.g. 20G, 500M, 1048576)`.
enum CommandLineValue {
    /// The reason ArgumentParser prints after "The value '…' is invalid for '--option <value>': ".
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// A catalog: a Glance endpoint (URL or HOST:PORT), cloud:NAME[/REGION] or dir:PATH. A `cloud:` location
    /// is resolved through Keystone when the run starts, not here.
    @Sendable static func location(_ text: String) throws -> ImageLocation {
        try ImageLocation(parsing: text)
    }

    /// A size in bytes: 20G, 500M, 1048576 (binary units, `Quantity.bytes`).
    @Sendable static func size(_ text: String) throws -> Int64 {
        guard let bytes = Quantity.bytes(text) else {
            throw Invalid(description: "not a size (e.g. 20G, 500M, 1048576)")
        }
        return bytes
    }

    /// A size, or 0 (`--max-transfer 0`: copy no data, repair metadata only; the old tool's `-m`).
    @Sendable static func sizeOrZero(_ text: String) throws -> Int64 {
        text.trimmingCharacters(in: .whitespaces) == "0" ? 0 : try size(text)
    }

    /// A duration in seconds: 45s, 90m, 2h, 1h30m.
    @Sendable static func duration(_ text: String) throws -> Double {
        guard let seconds = Quantity.seconds(text) else {
            throw Invalid(description: "not a duration (e.g. 45s, 90m, 2h, 1h30m)")
        }
        return seconds
    }

    /// A `--priority` rule: tag:NAME or property:KEY=VALUE.
    @Sendable static func priorityRule(_ text: String) throws -> TransferPriority.Rule {
        guard let rule = TransferPriority.rule(text) else {
            throw Invalid(description: "not tag:NAME or property:KEY=VALUE")
        }
        return rule
    }
}

/// `--bwlimit RATE` (bytes per second read from the source in the whole run) or `--bwlimit TARGET=RATE`
/// (bytes per second sent to that target, named as it is given: a URL, or `cloud:NAME/REGION`).
struct BandwidthLimit: Sendable, Hashable {
    /// The target's `ImageLocation.bandwidthKey` (a URL's endpoint root, or `cloud:NAME/REGION`); nil for the
    /// run-wide read limit.
    var target: String?
    var bytesPerSecond: Int64

    @Sendable init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard let rate = Quantity.bytes(String(parts.last ?? "")) else {
            throw CommandLineValue.Invalid(
                description: "not RATE or TARGET=RATE (e.g. 50M, http://edge:9292=5M, cloud:edge/RegionSeven=5M)"
            )
        }
        bytesPerSecond = rate
        guard parts.count == 2 else { return }
        guard let key = (try? CommandLineValue.location(String(parts[0])))?.bandwidthKey else {
            throw CommandLineValue.Invalid(
                description: "'\(parts[0])' is not a Glance endpoint URL or a cloud:NAME/REGION location"
            )
        }
        target = key
    }
}
