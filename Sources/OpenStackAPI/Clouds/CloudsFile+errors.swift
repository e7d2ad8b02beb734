import Yams

extension CloudsFile {
    /// A YAML error of a credential file as one line that names the place and the problem but never quotes
    /// the file: the line at fault may hold a password (Yams' own description prints it).
    static func describe(yamlError error: any Error) -> String {
        guard let error = error as? YamlError else { return "not valid YAML" }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return "not valid YAML at line \(mark.line), column \(mark.column): \(problem)"
        case .reader(let problem, let offset, _, _):
            return "not valid YAML" + (offset.map { " at byte \($0)" } ?? "") + ": \(problem)"
        case .duplicatedKeysInMapping(_, let context):
            return "not valid YAML at line \(context.mark.line): a key appears twice in one mapping"
        default:
            return "not valid YAML"
        }
    }
}
