import Foundation

/// Glance v2 image visibility. `community` is a first-class value (images anyone may boot but that are
/// not listed by default), not a variant of `public`.
public enum Visibility: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case `public`
    case community
    case shared
    case `private`

    /// The replicator's default scope: what every project can see.
    public static let defaultScope: Set<Visibility> = [.public, .community]

    /// Parses a comma-separated list such as `public,community` (case-insensitive, spaces allowed).
    public static func parseList(_ text: String) throws(InvalidVisibility) -> Set<Visibility> {
        var result: Set<Visibility> = []
        for word in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = word.trimmingCharacters(in: .whitespaces).lowercased()
            guard let visibility = Visibility(rawValue: trimmed) else {
                throw InvalidVisibility(word: String(word))
            }
            result.insert(visibility)
        }
        return result
    }

    public static func < (lhs: Visibility, rhs: Visibility) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A word in a `--visibility` list that is not one of Glance's four visibilities.
public struct InvalidVisibility: Error, Sendable, Equatable {
    public var word: String
}
