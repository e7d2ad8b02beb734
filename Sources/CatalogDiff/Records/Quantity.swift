import Foundation

/// Sizes and durations as operators write them on a command line (`50M`, `1.5G`, `90m`, `1h30m`).
public enum Quantity {
    /// Bytes from `123`, `64K`, `50M`, `1.5G`, `2T` (powers of 1024, as rsync's `--bwlimit` and `du` take
    /// them; `KiB`/`MiB`/`GiB` likewise), or `KB`/`MB`/`GB`/`TB` (powers of 1000). A trailing `/s` is
    /// accepted for rates. Nil when the text is not a positive size.
    public static func bytes(_ text: String) -> Int64? {
        var text = text.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("/s") { text.removeLast(2) }
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(digits.count).lowercased()
        guard let number = Double(digits), number > 0 else { return nil }
        let multiplier: Double
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kib": multiplier = 1024
        case "m", "mib": multiplier = 1024 * 1024
        case "g", "gib": multiplier = 1024 * 1024 * 1024
        case "t", "tib": multiplier = 1024 * 1024 * 1024 * 1024
        case "kb": multiplier = 1e3
        case "mb": multiplier = 1e6
        case "gb": multiplier = 1e9
        case "tb": multiplier = 1e12
        default: return nil
        }
        let value = number * multiplier
        guard value >= 1, value < 9e18 else { return nil }
        return Int64(value)
    }

    /// Seconds from `45`, `45s`, `90m`, `2h`, `1h30m`, `1d`. Nil when the text is not a positive duration.
    public static func seconds(_ text: String) -> Double? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        guard !rest.isEmpty else { return nil }
        if let plain = Double(rest) { return plain > 0 ? plain : nil }
        var total = 0.0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard let number = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = rest.first else { return nil }
            rest = rest.dropFirst()
            switch unit {
            case "s": total += number
            case "m": total += number * 60
            case "h": total += number * 3600
            case "d": total += number * 86400
            default: return nil
            }
        }
        return total > 0 ? total : nil
    }

    /// `1.5 GiB`, `512.0 KiB`, `17 B`: sizes for people, in binary units with one decimal (so that they line up
    /// in tables). The one byte formatter of the tool: reports, progress and messages.
    public static func describe(bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
