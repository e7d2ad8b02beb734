import CatalogDiff
import Foundation
import SyncEngine

#if canImport(Glibc)
import Glibc
#endif

/// The command lines of Glance's old `glance-replicator` (v1 only, up to Stein), rewritten into this tool's
/// before swift-argument-parser reads them.
///
/// Only words this tool would otherwise reject are rewritten, so a command line of this tool never changes
/// meaning: the old options (`-c`, `-D`, `-m` outside `dump`, `-t`, `--sourcetoken`/`-M`/`--mastertoken`,
/// `--targettoken`/`-S`/`--slavetoken`, `-d`/`--debug`, `-l`), the old tool's habit of options before the
/// command, a bare PATH where a location is expected (`dump SOURCE PATH`), `load`'s old order (`load TARGET
/// PATH`), and a one-value `--dontreplicate "a b"` that would otherwise swallow the locations after it. Where
/// the meaning changed, `notes` says how in one line each. Pure: words in, words out.
///
/// `--sourcetoken`/`-M`/`--mastertoken` and `--targettoken`/`-S`/`--slavetoken` become `--source-token` and
/// `--target-token` (`--token` where they are the same); `-t` is `--token`, both sides' token, as it was.
struct LegacyCommandLine: Equatable {
    /// The command line for the parser (the input unchanged when nothing in it is the old tool's).
    var arguments: [String]
    /// One line each, for stderr.
    var notes: [String] = []
    /// `-l FILE` / `--logfile FILE`: stderr is appended to FILE.
    var logFile: String?

    /// The old tool's commands and how many locations each takes.
    static let commands: [String: Int] = ["compare": 2, "dump": 2, "livecopy": 2, "load": 2, "size": 1]

    /// The old tool's options (optparse and oslo.config names), by what they become.
    enum OldOption {
        case chunkSize, dontReplicate, metaOnly, token, sourceToken, targetToken, debug, logFile, syslog
        case negatedDefault
        case configFile

        var takesValue: Bool {
            switch self {
            case .chunkSize, .dontReplicate, .token, .sourceToken, .targetToken, .logFile, .configFile: true
            case .metaOnly, .debug, .syslog, .negatedDefault: false
            }
        }
    }

    static let oldOptions: [String: OldOption] = [
        "-c": .chunkSize, "--chunksize": .chunkSize,
        "-D": .dontReplicate, "--dontreplicate": .dontReplicate,
        "-m": .metaOnly, "--metaonly": .metaOnly,
        "-t": .token, "--token": .token,
        "--sourcetoken": .sourceToken, "-M": .sourceToken, "--mastertoken": .sourceToken,
        "--targettoken": .targetToken, "-S": .targetToken, "--slavetoken": .targetToken,
        "-d": .debug, "--debug": .debug,
        "-l": .logFile, "--logfile": .logFile, "--log-file": .logFile,
        "-s": .syslog, "--syslog": .syslog, "--use-syslog": .syslog,
        "--nometaonly": .negatedDefault, "--nodebug": .negatedDefault, "--noverbose": .negatedDefault,
        "--config-file": .configFile, "--config-dir": .configFile,
    ]

    /// The old tool's `-D` default: v1 fields this tool never compares anyway.
    static let oldDontReplicateDefault = "created_at date deleted_at location updated_at"

    /// `specs`: the options the named command of this tool declares (which take values).
    init(_ words: [String], specs: (String) -> [ArgumentSpec]) throws(ReplicatorError) {
        arguments = words
        // Options the old tool allowed before the command word.
        var index = 0
        var leading: [String] = []
        while index < words.count, words[index].hasPrefix("-"), words[index] != "--" {
            let (name, attached) = Self.split(words[index])
            if name == "-v" || name == "--verbose" {
                leading.append(words[index])
                index += 1
                continue
            }
            guard let option = Self.oldOptions[name] else { return }
            leading.append(words[index])
            index += 1
            if option.takesValue, attached == nil, index < words.count {
                leading.append(words[index])
                index += 1
            }
        }
        guard index < words.count, let required = Self.commands[words[index]] else { return }
        let command = words[index]
        let rest = leading + words[(index + 1)...]
        let specs = specs(command)
        var changed = !leading.isEmpty

        // First reading: --dontreplicate as this tool reads it (every word up to the next option); the old
        // reading (one value) only when this one leaves the command short of its locations.
        var reading = Reading(rest, command: command, specs: specs, dontReplicateTakesOne: false)
        if reading.positionals.count < required, reading.sawLongDontReplicate {
            let old = Reading(rest, command: command, specs: specs, dontReplicateTakesOne: true)
            if old.positionals.count >= required {
                reading = old
                changed = true
            }
        }
        if let refusal = reading.refusal { throw refusal }
        changed = changed || reading.usedOldWords

        var positionals = reading.positionals
        if command == "dump", positionals.count == 2, !Self.isLocation(positionals[1]) {
            positionals[1] = "dir:" + positionals[1]
            changed = true
        }
        if command == "load", positionals.count == 2, Self.isEndpoint(positionals[0]),
            !Self.isEndpoint(positionals[1])
        {
            let path = positionals[1].hasPrefix("dir:") ? positionals[1] : "dir:" + positionals[1]
            positionals = [path, positionals[0]]
            changed = true
        }
        guard changed else { return }

        var options = reading.options
        options += tokenWords(reading, command: command)
        if let value = reading.chunkSize {
            guard Int(value) != nil else {
                throw .invalidOption("-c/--chunksize: '\(value)' is not a number of bytes")
            }
            notes.append(
                "-c/--chunksize is ignored: this tool sizes its own reads and uploads (1 MiB chunks, streamed)"
            )
        }
        if reading.metaOnly {
            switch command {
            case "dump":
                options.append("--metaonly")
            case "livecopy", "load":
                options.append("--max-transfer=0")
                notes.append(
                    "-m/--metaonly: \(command) repairs metadata only; missing images are reported as deferred, "
                        + "not copied (--max-transfer 0)"
                )
            default:
                break  // compare and size never read it, in the old tool either
            }
        }
        if reading.debug, !options.contains("--verbose"), !options.contains("-v") { options.append("--verbose") }
        logFile = reading.logFile
        // Last, so that it takes exactly its own value (the parser's --dontreplicate takes every word up to
        // the next option).
        let excluded = reading.dontReplicate.flatMap { $0.split(separator: " ").map(String.init) }
        if !excluded.isEmpty { options.append("--dontreplicate=" + excluded.joined(separator: ",")) }
        arguments = [command] + positionals + options + reading.terminated
    }

    /// The old tool's tokens as this tool's options: `--token` where both sides get the same one (or the
    /// command has one endpoint), else `--source-token` and `--target-token`, each only where it was given.
    private func tokenWords(_ reading: Reading, command: String) -> [String] {
        // The old tool: -t/--token, when given, is both sides' token.
        let source = reading.token ?? reading.sourceToken
        let target = reading.token ?? reading.targetToken
        switch command {
        case "dump": return source.map { ["--token=" + $0] } ?? []
        case "load": return target.map { ["--token=" + $0] } ?? []
        case "size": return (target ?? source).map { ["--token=" + $0] } ?? []
        default:
            if source == target { return source.map { ["--token=" + $0] } ?? [] }
            return (source.map { ["--source-token=" + $0] } ?? []) + (target.map { ["--target-token=" + $0] } ?? [])
        }
    }

    /// `--name=value` or `-xVALUE` into its name and attached value.
    static func split(_ word: String) -> (name: String, attached: String?) {
        if word.hasPrefix("--") {
            guard let equals = word.firstIndex(of: "=") else { return (word, nil) }
            return (String(word[..<equals]), String(word[word.index(after: equals)...]))
        }
        if word.count > 2, let option = oldOptions[String(word.prefix(2))], option.takesValue {
            return (String(word.prefix(2)), String(word.dropFirst(2)))
        }
        return (word, nil)
    }

    /// Whether this tool reads `word` as a location (a Glance endpoint, a cloud or `dir:`).
    static func isLocation(_ word: String) -> Bool {
        (try? ImageLocation(parsing: word)) != nil
    }

    /// Whether `word` is a Glance endpoint or a cloud (not a dump directory).
    static func isEndpoint(_ word: String) -> Bool {
        switch try? ImageLocation(parsing: word) {
        case .glance, .cloud: true
        case .dump, nil: false
        }
    }
}

extension LegacyCommandLine {
    /// One reading of the words after the command: this tool's options kept as they are, the old ones
    /// taken out, and the locations.
    struct Reading {
        var options: [String] = []
        var positionals: [String] = []
        /// `--` and what follows it.
        var terminated: [String] = []
        var dontReplicate: [String] = []
        var chunkSize: String?
        var metaOnly = false
        var token: String?
        var sourceToken: String?
        var targetToken: String?
        var debug = false
        var logFile: String?
        var refusal: ReplicatorError?
        /// Whether an old-only word was found.
        var usedOldWords = false
        var sawLongDontReplicate = false

        init(_ words: [String], command: String, specs: [ArgumentSpec], dontReplicateTakesOne: Bool) {
            var index = 0
            while index < words.count {
                let word = words[index]
                index += 1
                if word == "--" {
                    terminated = Array(words[(index - 1)...])
                    return
                }
                guard word.hasPrefix("-"), word.count > 1 else {
                    positionals.append(word)
                    continue
                }
                let (name, attached) = LegacyCommandLine.split(word)
                let modern = Self.modernSpec(name, specs: specs)
                if name == "--dontreplicate" { sawLongDontReplicate = true }
                // This tool's own options keep their meaning; its --dontreplicate only when it is read as such,
                // and --token is taken out (and given back once) because -t and the old side tokens meet it.
                let takenOut = name == "--token" || (name == "--dontreplicate" && dontReplicateTakesOne)
                if let modern, !takenOut {
                    options.append(word)
                    guard modern.kind == .option else { continue }
                    if attached == nil, index < words.count, words[index] != "--" {
                        options.append(words[index])
                        index += 1
                    }
                    // The parser goes on taking words after `--dontreplicate=a` too.
                    if modern.takesWordsUpToNextOption {
                        while index < words.count, !words[index].hasPrefix("-") {
                            options.append(words[index])
                            index += 1
                        }
                    }
                    continue
                }
                guard let option = LegacyCommandLine.oldOptions[name] else {
                    options.append(word)  // unknown: the parser says so
                    continue
                }
                var value = attached
                if option.takesValue, value == nil {
                    guard index < words.count else {
                        refusal = .invalidOption("\(name) needs a value")
                        return
                    }
                    value = words[index]
                    index += 1
                }
                usedOldWords = usedOldWords || modern == nil || name == "--dontreplicate"
                take(option, name: name, value: value ?? "", command: command)
            }
        }

        private mutating func take(_ option: OldOption, name: String, value: String, command: String) {
            switch option {
            case .chunkSize: chunkSize = value
            case .dontReplicate: dontReplicate.append(value)
            case .metaOnly: metaOnly = true
            case .token: token = value
            case .sourceToken: sourceToken = value
            case .targetToken: targetToken = value
            case .debug: debug = true
            case .logFile: logFile = value
            case .negatedDefault: break
            case .syslog:
                refusal = .invalidOption(
                    "\(name): this tool logs to stderr; send it to syslog with `2>&1 | logger -t glance-replicator`, "
                        + "or run it under systemd (--log-format json)"
                )
            case .configFile:
                refusal = .invalidOption(
                    "\(name): the old tool's oslo.config files are not read; put the options in a job file "
                        + "(--config FILE, YAML: see the README)"
                )
            }
        }

        /// This tool's option called `name` (`--long` or `-s`), if the command has one.
        static func modernSpec(_ name: String, specs: [ArgumentSpec]) -> ArgumentSpec? {
            if name.hasPrefix("--") { return ArgumentSpec.named(String(name.dropFirst(2)), in: specs) }
            let short = String(name.dropFirst())
            return specs.first { $0.kind != .positional && $0.shortNames.contains(short) }
        }
    }
}

extension LegacyCommandLine {
    /// The rewrite of this process's command line, with its notes printed and `-l FILE` applied.
    static func fromProcess() throws(ReplicatorError) -> [String] {
        let legacy = try LegacyCommandLine(Array(CommandLine.arguments.dropFirst())) { name in
            GlanceReplicator.subcommand(named: name).map(ArgumentSpec.of) ?? []
        }
        if let logFile = legacy.logFile {
            let descriptor = open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            guard descriptor >= 0, dup2(descriptor, STDERR_FILENO) >= 0 else {
                throw .invalidOption("-l/--logfile \(logFile): \(String(cString: strerror(errno)))")
            }
            close(descriptor)
        }
        for note in legacy.notes { FileHandle.standardError.write(Data("glance-replicator: note: \(note)\n".utf8)) }
        return legacy.arguments
    }
}
