import ArgumentParser
import CatalogDiff
import SyncEngine
import Yams

extension JobFile {
    /// The command line with the job file named by `--config` merged in, or the command line unchanged
    /// when there is none.
    ///
    /// The file's words are placed so that the command line wins without relying on the parser's order
    /// rules: a file key the command line also gives is dropped, and so are the file's locations when the
    /// command line names any. Each remaining key is first parsed on its own, so that a bad value is
    /// reported against its line in the file rather than as an anonymous usage error.
    static func expand(_ arguments: [String]) throws -> [String] {
        guard let path = configPath(in: arguments), let first = arguments.first,
            let command = GlanceReplicator.subcommand(named: first)
        else { return arguments }
        let file = try JobFile(contentsOf: path)
        let specs = ArgumentSpec.of(command)
        let given = CommandLineWords(Array(arguments.dropFirst()), specs: specs)
        var locations: [String] = []
        var options: [String] = []
        for entry in file.entries {
            if locationKeys.contains(entry.key) {
                let words = try file.locations(entry)
                if !given.hasPositionals {
                    locations += entry.key == "source" ? words : []
                }
                continue
            }
            let words = try file.words(for: entry, specs: specs)
            if !given.optionNames.contains(entry.key) {
                try file.check(entry, words: words, command: first, specs: specs)
                options += words
            }
        }
        // `regions:` (sync) come after `source:`, as `targets:` do.
        for key in ["regions", "targets"] where !given.hasPositionals {
            if let entry = file.entries.first(where: { $0.key == key }) { locations += try file.locations(entry) }
        }
        return [first] + locations + given.beforeTerminator + options + given.fromTerminator
    }

    /// Parses the command line with its job file merged in. A usage error of the whole (each key was
    /// already checked alone) names the job file, since some of the words came from it.
    static func parseAsRoot(_ arguments: [String]) throws -> any ParsableCommand {
        let expanded = try expand(arguments)
        do {
            return try GlanceReplicator.parseAsRoot(expanded)
        } catch {
            guard let path = configPath(in: arguments), GlanceReplicator.exitCode(for: error) != .success else {
                throw error
            }
            let message = GlanceReplicator.message(for: error).split(separator: "\n").first ?? "invalid arguments"
            throw ReplicatorError.invalidOption("\(path) with the command line: \(message)")
        }
    }

    /// Flags that make the parser print and exit rather than run: no job can mean them.
    static let parserOnlyKeys: Set<String> = [
        "help", "version", "experimental-dump-help", "generate-completion-script", "check-args",
    ]

    /// The value of `--config PATH` or `--config=PATH`.
    static func configPath(in arguments: [String]) -> String? {
        for (index, word) in arguments.enumerated() {
            if word == "--" { return nil }
            if word == "--config", index + 1 < arguments.count { return arguments[index + 1] }
            if word.hasPrefix("--config=") { return String(word.dropFirst("--config=".count)) }
        }
        return nil
    }

    /// `source:`/`targets:` as location words, each checked as a location.
    func locations(_ entry: Entry) throws -> [String] {
        let nodes = entry.value.sequence.map(Array.init) ?? [entry.value]
        if entry.key == "source", nodes.count != 1 { throw error(entry, "one location, not a list") }
        return try nodes.map { node in
            guard let text = node.scalar?.string, !text.isEmpty else {
                throw error(entry, "a location (http(s)://HOST[:PORT] or HOST:PORT) or a list of them")
            }
            do throws(ReplicatorError) {
                _ = try ImageLocation(parsing: text)
            } catch {
                throw self.error(entry, error.message)
            }
            return text
        }
    }

    /// The command-line words for one option or flag key.
    func words(for entry: Entry, specs: [ArgumentSpec]) throws -> [String] {
        guard entry.key != "config" else { throw error(entry, "a job file cannot name another job file") }
        guard !Self.parserOnlyKeys.contains(entry.key), let spec = ArgumentSpec.named(entry.key, in: specs) else {
            throw error(entry, "unknown key: not an option of this command (see --help)")
        }
        let option = "--\(entry.key)"
        switch spec.kind {
        case .flag:
            guard let on = entry.value.bool else { throw error(entry, "a flag: true or false") }
            return on ? [option] : []
        case .option:
            if let scalar = entry.value.scalar { return ["\(option)=\(scalar.string)"] }
            guard let items = entry.value.sequence?.map({ $0.scalar?.string }), !items.contains(nil) else {
                throw error(entry, "a value or a list of values")
            }
            let values = items.compactMap { $0 }
            // A list for a repeatable option is given as the option repeated; for a single-valued one, as
            // the comma list such options take (`visibility: [public, community]`).
            return spec.isRepeating ? values.map { "\(option)=\($0)" } : ["\(option)=\(values.joined(separator: ","))"]
        case .positional:
            throw error(entry, "unknown key: not an option of this command (see --help)")
        }
    }

    /// Parses one key's words alone (with stand-in locations), so that a bad value names its line.
    func check(_ entry: Entry, words: [String], command: String, specs: [ArgumentSpec]) throws {
        // Two stand-ins for a list (sync takes two or more regions).
        let positionals = specs.filter { $0.kind == .positional }.flatMap {
            $0.isRepeating ? ["127.0.0.1:1", "127.0.0.1:2"] : ["127.0.0.1:1"]
        }
        do {
            _ = try GlanceReplicator.parseAsRoot([command] + positionals + words)
        } catch {
            let message = GlanceReplicator.message(for: error)
            throw self.error(entry, String(message.split(separator: "\n").first ?? "invalid value"))
        }
    }
}

extension GlanceReplicator {
    /// The subcommand called `name` (or one of its aliases).
    static func subcommand(named name: String) -> (any ParsableCommand.Type)? {
        configuration.subcommands.first { command in
            let configuration = command.configuration
            let primary = configuration.commandName ?? ""
            return primary == name || configuration.aliases.contains(name)
        }
    }
}
