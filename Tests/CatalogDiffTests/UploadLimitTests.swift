import CatalogDiff
import Testing

@Suite("UploadLimit: AIMD of a target's uploads at once")
struct UploadLimitTests {
    /// Admits until full; returns the tickets.
    static func fill(_ limit: inout UploadLimit) -> [UploadLimit.Ticket] {
        var tickets: [UploadLimit.Ticket] = []
        while let ticket = limit.admit() { tickets.append(ticket) }
        return tickets
    }

    @Test func admitsUpToTheCeilingAndNoMore() {
        var limit = UploadLimit(ceiling: 4)
        let tickets = Self.fill(&limit)
        #expect(tickets.count == 4)
        #expect(limit.inFlight == 4)
        #expect(!limit.hasRoom)
        _ = limit.finish(tickets[0], succeeded: true)
        #expect(limit.hasRoom)
        #expect(limit.admit() != nil)
        #expect(limit.admit() == nil)
    }

    @Test(arguments: [(8, 4), (5, 2), (2, 1), (1, 1)])
    func anOverloadHalvesTheLimitDownToOne(ceiling: Int, halved: Int) {
        var limit = UploadLimit(ceiling: ceiling)
        let tickets = Self.fill(&limit)
        let change = limit.overloaded(tickets[0])
        #expect(limit.limit == halved)
        #expect(limit.lowest == halved)
        #expect(change == (ceiling == 1 ? nil : .lowered(from: ceiling, to: halved)))
    }

    @Test func oneBurstOfOverloadsHalvesOnce() {
        var limit = UploadLimit(ceiling: 8)
        let tickets = Self.fill(&limit)
        // Every upload started at 8 meets the overload: they all say the same thing once.
        for ticket in tickets { _ = limit.overloaded(ticket) }
        #expect(limit.limit == 4)
        // Nothing new may start until fewer than 4 are under way.
        for ticket in tickets.prefix(4) { _ = limit.finish(ticket, succeeded: false) }
        #expect(limit.inFlight == 4)
        #expect(limit.admit() == nil)
        _ = limit.finish(tickets[4], succeeded: true)
        let fresh = limit.admit()
        #expect(fresh != nil)
        // An upload started under the lower limit that meets an overload halves it again.
        #expect(limit.overloaded(fresh!) == .lowered(from: 4, to: 2))
        #expect(limit.overloaded(fresh!) == nil)
        #expect(limit.lowest == 2)
    }

    @Test func repeatedOverloadsReachOneAndStayThere() {
        var limit = UploadLimit(ceiling: 16)
        for _ in 0..<10 {
            let ticket = limit.admit()!
            _ = limit.overloaded(ticket)
            _ = limit.finish(ticket, succeeded: false)
        }
        #expect(limit.limit == 1)
        #expect(limit.lowest == 1)
        #expect(limit.inFlight == 0)
        #expect(limit.admit() != nil)
        #expect(limit.admit() == nil)
    }

    @Test func aRunOfSuccessesGrowsTheLimitByOneUpToTheCeiling() {
        var limit = UploadLimit(ceiling: 4, growAfter: 3)
        let first = limit.admit()!
        _ = limit.overloaded(first)
        _ = limit.finish(first, succeeded: false)
        #expect(limit.limit == 2)
        var changes: [UploadLimit.Change] = []
        for _ in 0..<12 {
            let ticket = limit.admit()!
            if let change = limit.finish(ticket, succeeded: true) { changes.append(change) }
        }
        #expect(changes == [.raised(from: 2, to: 3), .raised(from: 3, to: 4)])
        #expect(limit.limit == 4)
        #expect(limit.lowest == 2)
    }

    @Test func aFailureThatIsNoOverloadBreaksTheRunButKeepsTheLimit() {
        var limit = UploadLimit(ceiling: 4, growAfter: 2)
        _ = limit.overloaded(limit.admit()!)
        #expect(limit.limit == 2)
        let tickets = Self.fill(&limit)
        #expect(tickets.count == 1)  // one is still in flight from before
        #expect(limit.finish(tickets[0], succeeded: true) == nil)
        let next = limit.admit()!
        #expect(limit.finish(next, succeeded: false) == nil)
        #expect(limit.limit == 2)
        // The first upload is still in flight: room for one more.
        #expect(limit.admit() != nil)
        #expect(limit.admit() == nil)
    }

    @Test func uploadsStartedBeforeADecreaseDoNotGrowTheLimit() {
        var limit = UploadLimit(ceiling: 8, growAfter: 1)
        let tickets = Self.fill(&limit)
        _ = limit.overloaded(tickets[0])
        for ticket in tickets.dropFirst() { #expect(limit.finish(ticket, succeeded: true) == nil) }
        #expect(limit.limit == 4)
        let fresh = limit.admit()!
        #expect(limit.finish(fresh, succeeded: true) == .raised(from: 4, to: 5))
    }

    @Test func aCancelledAdmissionCountsForNothing() {
        var limit = UploadLimit(ceiling: 4, growAfter: 1)
        _ = limit.overloaded(limit.admit()!)
        let ticket = limit.admit()!
        limit.cancel(ticket)
        #expect(limit.inFlight == 1)
        #expect(limit.limit == 2)
        #expect(limit.admit() != nil)
        #expect(limit.admit() == nil)
    }

    @Test(arguments: [
        (500, "The server has either erred", true), (503, "", true), (502, "", true), (429, "slow down", true),
        (409, "(sqlite3.OperationalError) database is locked", true), (400, "bad", false), (404, "", false),
        (409, "Image ID already exists", false), (410, "vanished", false), (413, "quota", false),
        (401, "", false), (403, "", false),
    ])
    func overloadAnswers(status: Int, message: String, overload: Bool) {
        #expect(UploadLimit.isOverload(status: status, message: message) == overload)
    }

    @Test func aCeilingBelowOneIsOne() {
        var limit = UploadLimit(ceiling: 0)
        #expect(limit.limit == 1)
        #expect(limit.admit() != nil)
        #expect(limit.admit() == nil)
    }
}
