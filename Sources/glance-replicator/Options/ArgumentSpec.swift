import ArgumentParser
import Foundation

/// What a command's parser accepts, read from swift-argument-parser's own description of the command
/// (`_dumpHelp()`, the JSON behind `--experimental-dump-help`), so that job files know every option any
/// engineer adds without a list kept by hand.
struct ArgumentSpec: Decodable, Hashable {
    enum Kind: String, Decodable {
        case positional, option, flag
    }

    struct Name: Decodable, Hashable {
        var kind: String
        var name: String
    }

    var kind: Kind
    var names: [Name]?
    var isOptional: Bool
    var isRepeating: Bool
    var parsingStrategy: String

    var longNames: [String] { (names ?? []).filter { $0.kind == "long" }.map(\.name) }
    var shortNames: [String] { (names ?? []).filter { $0.kind == "short" }.map(\.name) }

    /// Takes every following word up to the next option (`--dontreplicate a b`).
    var takesWordsUpToNextOption: Bool { parsingStrategy == "upToNextOption" }

    private struct Dump: Decodable {
        struct Command: Decodable {
            var arguments: [ArgumentSpec]?
        }
        var command: Command
    }

    /// The arguments `command` declares, its option groups included.
    static func of(_ command: any ParsableCommand.Type) -> [ArgumentSpec] {
        let json = command._dumpHelp()
        return (try? JSONDecoder().decode(Dump.self, from: Data(json.utf8)).command.arguments) ?? []
    }

    /// The option or flag called `--name`.
    static func named(_ name: String, in specs: [ArgumentSpec]) -> ArgumentSpec? {
        specs.first { $0.kind != .positional && $0.longNames.contains(name) }
    }
}
