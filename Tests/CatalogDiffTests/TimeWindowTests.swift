import CatalogDiff
import Foundation
import Testing

@Suite("Time windows")
struct TimeWindowTests {
    @Test(arguments: [
        ("22:00-06:00", "22:00", true),
        ("22:00-06:00", "23:59", true),
        ("22:00-06:00", "00:00", true),
        ("22:00-06:00", "05:59", true),
        ("22:00-06:00", "06:00", false),
        ("22:00-06:00", "12:00", false),
        ("22:00-06:00", "21:59", false),
        ("01:30-04:15", "01:30", true),
        ("01:30-04:15", "04:14", true),
        ("01:30-04:15", "04:15", false),
        ("01:30-04:15", "01:29", false),
        ("00:00-00:00", "13:37", true),
        ("08:00-08:01", "08:00", true),
        ("08:00-08:01", "08:01", false),
    ])
    func contains(window: String, time: String, expected: Bool) throws {
        let parsed = try TimeWindow(parsing: window)
        let clock = try TimeWindow(parsing: "\(time)-\(time)")
        #expect(parsed.contains(minuteOfDay: clock.start) == expected)
    }

    @Test(arguments: [("23:30", true), ("02:00", true), ("03:00", false), ("12:00", false)])
    func readsDatesOnTheGivenClock(time: String, expected: Bool) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "Asia/Kolkata"))
        let parts = time.split(separator: ":").compactMap { Int($0) }
        let date = try #require(
            calendar.date(from: DateComponents(year: 2026, month: 3, day: 1, hour: parts[0], minute: parts[1]))
        )
        #expect(try TimeWindow(parsing: "23:00-02:30").contains(date, calendar: calendar) == expected)
    }

    @Test(arguments: ["22:00-06:00", "00:00-23:59", "09:05-09:06"])
    func roundTrips(text: String) throws {
        #expect(try TimeWindow(parsing: text).description == text)
    }

    @Test(arguments: [
        "", "22:00", "22:00-", "24:00-01:00", "22:60-01:00", "2:00-03:00", "22:00-06:00-07:00", "ab:cd-01:00",
    ])
    func rejects(text: String) {
        #expect(throws: InvalidTimeWindow.self) { try TimeWindow(parsing: text) }
    }
}
