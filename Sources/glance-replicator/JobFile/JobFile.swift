import CatalogDiff
import Foundation
import Yams

/// A job file (`--config job.yaml`): one unattended job's arguments, kept in a file that cron, systemd or a
/// Kubernetes ConfigMap can hold.
///
/// The file is a YAML mapping whose keys are the command's long option names without the dashes
/// (`visibility: public,community`, `concurrency: 2`, `dontreplicate: [a, b]`), flags as booleans
/// (`dry-run: true`), plus `source:` and `targets:` (one location or a list) for the positional arguments.
/// It is turned into command-line words and read by the same parser as the command line, so every option
/// works in a job file the day it is added. A key given on the command line replaces the file's; locations
/// on the command line replace the file's `source` and `targets`.
struct JobFile {
    /// One key of the file, with the line it is on for error messages.
    struct Entry {
        var key: String
        var value: Node
        var line: Int
    }

    var path: String
    var entries: [Entry]

    /// The keys that stand for the positional arguments.
    static let locationKeys = ["source", "targets", "regions"]

    init(path: String, entries: [Entry]) {
        self.path = path
        self.entries = entries
    }

    /// Reads and checks the file's shape (a mapping of names to scalars or lists).
    init(contentsOf path: String) throws(ReplicatorError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .invalidOption("cannot read the job file \(path): \(error.localizedDescription)")
        }
        try self.init(parsing: text, path: path)
    }

    /// Checks a job file's text (`path` names it in error lines): a mapping of option names to scalars or
    /// lists. What `scripts/fuzz` feeds the `job-file` target.
    init(parsing text: String, path: String) throws(ReplicatorError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw .invalidOption("\(path):\(Self.describe(error))")
        } catch {
            throw .invalidOption("\(path): \(error)")
        }
        guard let root, let mapping = root.mapping else {
            throw .invalidOption(
                "\(path):\(root?.mark?.line ?? 1): a job file is a mapping of option names to values (e.g. concurrency: 2)"
            )
        }
        var entries: [Entry] = []
        var seen: Set<String> = []
        for (key, value) in mapping {
            let line = key.mark?.line ?? 0
            guard let name = key.scalar?.string else {
                throw .invalidOption("\(path):\(line): a key must be an option name")
            }
            guard seen.insert(name).inserted else {
                throw .invalidOption("\(path):\(line): \(name): given twice")
            }
            entries.append(Entry(key: name, value: value, line: line))
        }
        self.init(path: path, entries: entries)
    }

    /// A one-line `LINE: message` from a YAML syntax error.
    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            "\(mark.line): not valid YAML: \(problem)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            "\(context.mark.line): \(duplicates.joined(separator: ", ")): given twice"
        default:
            " not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")"
        }
    }

    /// An error about one key, naming the file, the line and the key.
    func error(_ entry: Entry, _ message: String) -> ReplicatorError {
        .invalidOption("\(path):\(entry.line): \(entry.key): \(message)")
    }
}
