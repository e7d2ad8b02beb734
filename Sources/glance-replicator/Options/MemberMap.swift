import CatalogDiff
import Foundation
import SyncEngine
import Yams

/// `--member-map FILE`: which target project a source member project becomes when the two sides use
/// different Keystones (a YAML mapping, `source-project-id: target-project-id`). The engine takes the mapping
/// (`ReplicationOptions.memberMap`); reading the file is the command line's.
enum MemberMap {
    static func parse(_ text: String, path: String) throws(ReplicatorError) -> [String: String] {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ReplicatorError.invalidOption("--member-map \(path): not valid YAML: \(error)")
        }
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            throw ReplicatorError.invalidOption("--member-map \(path): not a mapping of source to target project ids")
        }
        var result: [String: String] = [:]
        for (key, value) in mapping {
            guard let source = key.string, let target = value.string, !source.isEmpty, !target.isEmpty else {
                throw ReplicatorError.invalidOption(
                    "--member-map \(path): '\(key.string ?? "?")' does not map to one project id"
                )
            }
            result[source] = target
        }
        return result
    }

    static func load(_ path: String) throws(ReplicatorError) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ReplicatorError.invalidOption("--member-map \(path): cannot read the file")
        }
        return try parse(text, path: path)
    }
}
