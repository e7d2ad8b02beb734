import Foundation

/// The daily window, in local time, in which a run may start work on a new image (`--window 22:00-06:00`),
/// so that edge sites are copied to only when their links are quiet. An image already started when the
/// window closes is finished: stopping it half-way would waste the bytes sent.
///
/// The start is inclusive and the end exclusive, so `22:00-06:00` holds 22:00 and 05:59 but not 06:00. A
/// window whose end is before its start crosses midnight. Equal start and end (`00:00-00:00`) is the whole
/// day.
public struct TimeWindow: Sendable, Hashable, CustomStringConvertible {
    /// Minutes after midnight, `0..<1440`.
    public let start: Int
    public let end: Int

    public init(start: Int, end: Int) throws(InvalidTimeWindow) {
        let day = 0..<(24 * 60)
        guard day.contains(start), day.contains(end) else {
            throw InvalidTimeWindow("window bounds must be minutes 0 to 1439 of a day")
        }
        self.start = start
        self.end = end
    }

    /// Parses `HH:MM-HH:MM` (24-hour clock).
    public init(parsing text: String) throws(InvalidTimeWindow) {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = Self.minutes(bounds[0]), let end = Self.minutes(bounds[1]) else {
            throw InvalidTimeWindow("'\(text)' is not a window HH:MM-HH:MM (e.g. 22:00-06:00)")
        }
        try self.init(start: start, end: end)
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
            let hours = Int(parts[0]), let minutes = Int(parts[1]), (0..<24).contains(hours),
            (0..<60).contains(minutes)
        else { return nil }
        return hours * 60 + minutes
    }

    /// Whether a minute of the day (`0..<1440`) is inside the window.
    public func contains(minuteOfDay minute: Int) -> Bool {
        if start == end { return true }
        if start < end { return minute >= start && minute < end }
        return minute >= start || minute < end
    }

    /// Whether `date` falls inside the window, read on `calendar`'s clock (the local one by default).
    public func contains(_ date: Date, calendar: Calendar = .current) -> Bool {
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return contains(minuteOfDay: (parts.hour ?? 0) * 60 + (parts.minute ?? 0))
    }

    public var description: String {
        func clock(_ minutes: Int) -> String {
            let hours = minutes / 60
            let rest = minutes % 60
            return (hours < 10 ? "0" : "") + "\(hours):" + (rest < 10 ? "0" : "") + "\(rest)"
        }
        return "\(clock(start))-\(clock(end))"
    }
}

/// Text that is not a window `HH:MM-HH:MM`.
public struct InvalidTimeWindow: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
