/// The one way server-supplied text (names, ids, properties, tags, server messages) reaches a terminal:
/// inert. Control characters (C0, DEL, C1), line and paragraph separators and bidirectional overrides are
/// shown escaped (`\n`, `\u{1B}`), so no name can move the cursor, set a title, write the clipboard (OSC
/// 52), reorder a line or forge a `summary:` line. Tables, progress lines, text logs and error lines use it;
/// JSON output and JSON logs carry the text exactly (JSON escapes control characters itself).
enum TerminalText {
    static func inert(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                out.append(scalar)
                continue
            }
            let escaped: String
            switch scalar {
            case "\n": escaped = "\\n"
            case "\r": escaped = "\\r"
            case "\t": escaped = "\\t"
            default: escaped = "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // ALM, LRM, RLM; LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI; line and paragraph separators.
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: true
        default: false
        }
    }
}
