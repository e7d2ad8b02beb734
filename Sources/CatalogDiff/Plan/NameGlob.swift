/// A shell-style name pattern (`--include-name`, `--exclude-name`): `*` any run of characters, `?` one
/// character, `[abc]`, `[a-z]` and `[!abc]` one of a set; `\` quotes the next character.
///
/// Written out rather than taken from `fnmatch(3)` so that it behaves the same on every platform and
/// matches whole Unicode characters (image names are free text).
public struct NameGlob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let tokens: [Token]

    private enum Token: Sendable, Hashable {
        case literal(Character)
        case any
        case anyRun
        case set([ClosedRange<Character>], negated: Bool)
    }

    /// Parses `pattern`; `nil` when a `[` set is never closed.
    public init?(_ pattern: String) {
        self.pattern = pattern
        var tokens: [Token] = []
        var characters = Array(pattern)[...]
        while let character = characters.popFirst() {
            switch character {
            case "*":
                if tokens.last != .anyRun { tokens.append(.anyRun) }
            case "?":
                tokens.append(.any)
            case "\\":
                tokens.append(.literal(characters.popFirst() ?? "\\"))
            case "[":
                var negated = false
                if characters.first == "!" || characters.first == "^" {
                    negated = true
                    characters.removeFirst()
                }
                var ranges: [ClosedRange<Character>] = []
                var closed = false
                var first = true
                while let member = characters.popFirst() {
                    if member == "]" && !first {
                        closed = true
                        break
                    }
                    first = false
                    if characters.count >= 2, characters.first == "-", characters.dropFirst().first != "]" {
                        characters.removeFirst()
                        let upper = characters.removeFirst()
                        guard member <= upper else { return nil }
                        ranges.append(member...upper)
                    } else {
                        ranges.append(member...member)
                    }
                }
                guard closed else { return nil }
                tokens.append(.set(ranges, negated: negated))
            default:
                tokens.append(.literal(character))
            }
        }
        self.tokens = tokens
    }

    public var description: String { pattern }

    /// Whether the whole of `name` matches (iterative, with backtracking to the last `*` only: linear in
    /// practice, never exponential).
    public func matches(_ name: String) -> Bool {
        let text = Array(name)
        var t = 0
        var p = 0
        var starP: Int?
        var starT = 0
        while t < text.count {
            if p < tokens.count, accepts(tokens[p], text[t]) {
                t += 1
                p += 1
            } else if p < tokens.count, tokens[p] == .anyRun {
                starP = p
                starT = t
                p += 1
            } else if let star = starP {
                p = star + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < tokens.count, tokens[p] == .anyRun { p += 1 }
        return p == tokens.count
    }

    private func accepts(_ token: Token, _ character: Character) -> Bool {
        switch token {
        case .literal(let literal): literal == character
        case .any: true
        case .anyRun: false
        case .set(let ranges, let negated): ranges.contains { $0.contains(character) } != negated
        }
    }
}
