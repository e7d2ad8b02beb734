import ArgumentParser
import CatalogDiff
import Foundation

/// The options that narrow a run to some images; every command takes them (see `ImageFilter`).
struct FilterOptions: ParsableArguments {
    @Option(
        name: .customLong("include-name"),
        help: ArgumentHelp("Only images whose name matches this glob (*, ?, [a-z]; repeatable).", valueName: "glob")
    )
    var includeNames: [String] = []

    @Option(
        name: .customLong("exclude-name"),
        help: ArgumentHelp("Leave out images whose name matches this glob (repeatable).", valueName: "glob")
    )
    var excludeNames: [String] = []

    @Option(
        name: .customLong("tag"),
        help: ArgumentHelp("Only images with this tag (repeatable: all of them).", valueName: "tag")
    )
    var tags: [String] = []

    @Option(
        name: .customLong("property"),
        help: ArgumentHelp("Only images whose property KEY has exactly VALUE (repeatable).", valueName: "key=value")
    )
    var properties: [String] = []

    @Option(
        name: .customLong("min-size"),
        help: ArgumentHelp(
            "Only images of at least this size (bytes, or 512K, 20M, 1.5G, 2T; KB/MB/GB are 1000s).",
            valueName: "size"
        )
    )
    var minSize: String?

    @Option(name: .customLong("max-size"), help: ArgumentHelp("Only images of at most this size.", valueName: "size"))
    var maxSize: String?

    @Option(
        name: .customLong("since"),
        help: ArgumentHelp(
            "Only images created at or after DATE (YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS with Z or an offset; UTC if none).",
            valueName: "date"
        )
    )
    var since: String?

    @Option(
        name: .customLong("image"),
        help: ArgumentHelp("Only the image with this id (repeatable).", valueName: "id")
    )
    var imageIDs: [String] = []

    func validate() throws {
        _ = try filter()
    }

    func filter() throws -> ImageFilter {
        var filter = ImageFilter()
        filter.includeNames = try includeNames.map { try Self.glob($0, option: "--include-name") }
        filter.excludeNames = try excludeNames.map { try Self.glob($0, option: "--exclude-name") }
        filter.tags = Set(tags)
        for pair in properties {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--property: '\(pair)' is not KEY=VALUE")
            }
            filter.properties[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        filter.minSize = try minSize.map { try Self.byteCount($0, option: "--min-size") }
        filter.maxSize = try maxSize.map { try Self.byteCount($0, option: "--max-size") }
        if let minSize = filter.minSize, let maxSize = filter.maxSize, minSize > maxSize {
            throw ValidationError("--min-size \(minSize) is larger than --max-size \(maxSize)")
        }
        filter.createdSince = try since.map(Self.createdAt)
        filter.imageIDs = Set(imageIDs)
        return filter
    }

    static func glob(_ pattern: String, option: String) throws -> NameGlob {
        guard let glob = NameGlob(pattern) else {
            throw ValidationError("\(option): '\(pattern)' has a [ without its ]")
        }
        return glob
    }

    /// `1048576`, `512K`/`512KiB` (1024s), `20MB` (1000s), `1.5G`.
    static func byteCount(_ text: String, option: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).uppercased()
        let kibi = 1024.0
        let multipliers: [String: Double] = [
            "": 1, "B": 1, "K": kibi, "KIB": kibi, "M": kibi * kibi, "MIB": kibi * kibi, "G": kibi * kibi * kibi,
            "GIB": kibi * kibi * kibi, "T": kibi * kibi * kibi * kibi, "TIB": kibi * kibi * kibi * kibi,
            "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
        ]
        guard let number = Double(digits), let multiplier = multipliers[unit], number >= 0 else {
            throw ValidationError("\(option): '\(text)' is not a size (bytes, or a number with K, M, G or T)")
        }
        return Int64((number * multiplier).rounded())
    }

    /// A `--since` date as Glance writes `created_at` (UTC, `YYYY-MM-DDTHH:MM:SSZ`), so the two compare as
    /// text.
    static func createdAt(_ text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parser = ISO8601DateFormatter()
        let candidates: [(String, ISO8601DateFormatter.Options)] = [
            (trimmed, [.withInternetDateTime]),
            (trimmed + "Z", [.withInternetDateTime]),
            (trimmed, [.withInternetDateTime, .withFractionalSeconds]),
            (trimmed + "T00:00:00Z", [.withInternetDateTime]),
        ]
        for (candidate, options) in candidates {
            parser.formatOptions = options
            if let date = parser.date(from: candidate) {
                let printer = ISO8601DateFormatter()
                printer.formatOptions = [.withInternetDateTime]
                printer.timeZone = TimeZone(identifier: "UTC")
                return printer.string(from: date)
            }
        }
        throw ValidationError("--since: '\(text)' is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)")
    }
}
