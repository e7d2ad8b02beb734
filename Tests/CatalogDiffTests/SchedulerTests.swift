import CatalogDiff
import Testing

@Suite("Scheduler: which image starts next, and what becomes of those that do not")
struct SchedulerTests {
    /// Items are their sizes.
    static func scheduler(
        _ sizes: [Int64],
        concurrency: Int = 2,
        budget: TransferBudget = TransferBudget()
    )
        -> Scheduler<Int64>
    {
        Scheduler(items: sizes, concurrency: concurrency, budget: budget) { $0 }
    }

    /// Starts every candidate it can, as `Replication.execute` does when every target has room.
    static func startAll(
        _ scheduler: inout Scheduler<Int64>,
        elapsed: Double = 0
    ) -> (started: [Int64], deferred: [Int64]) {
        var started: [Int64] = []
        var deferred: [Int64] = []
        while let item = scheduler.nextCandidate() {
            switch scheduler.decide(item, windowOpen: true, elapsed: elapsed) {
            case .start: started.append(item)
            case .deferOne: deferred.append(item)
            case .deferRemaining(let items): deferred += items
            }
        }
        return (started, deferred)
    }

    @Test(arguments: [1, 2, 4])
    func neverMoreThanTheConcurrencyRunAndFinishingOneStartsTheNext(concurrency: Int) {
        var scheduler = Self.scheduler(Array(1...6), concurrency: concurrency)
        var started = Self.startAll(&scheduler).started
        #expect(started == Array(1...Int64(concurrency)))
        #expect(scheduler.running == concurrency)
        while !scheduler.isDone {
            scheduler.finished()
            started += Self.startAll(&scheduler).started
            #expect(scheduler.running <= concurrency)
        }
        #expect(started == Array(1...6), "every item starts once, in order")
    }

    @Test func aHeldItemIsTriedAgainFirstSoTheOrderIsKept() {
        var scheduler = Self.scheduler([10, 20, 30], concurrency: 3)
        let first = scheduler.nextCandidate()
        #expect(first == 10)
        scheduler.hold(10)  // its target is full
        #expect(scheduler.nextCandidate() == 10)
        #expect(scheduler.decide(10, windowOpen: true, elapsed: 0) == .start)
        #expect(scheduler.nextCandidate() == 20)
    }

    @Test func pastTheByteBudgetALargeImageIsDeferredButASmallerOneStillStarts() {
        var scheduler = Self.scheduler([60, 50, 30], concurrency: 3, budget: TransferBudget(maxBytes: 100))
        let (started, deferred) = Self.startAll(&scheduler)
        #expect(started == [60, 30])
        #expect(deferred == [50])
    }

    @Test func pastTheDurationNothingMoreStarts() {
        var scheduler = Self.scheduler([1, 2, 3], concurrency: 3, budget: TransferBudget(maxSeconds: 60))
        let (started, deferred) = Self.startAll(&scheduler, elapsed: 61)
        #expect(started.isEmpty)
        #expect(deferred == [1, 2, 3])
    }

    @Test func outsideTheWindowTheItemAndEveryOneNotStartedAreDeferred() throws {
        var scheduler = Self.scheduler([1, 2, 3, 4], concurrency: 1)
        #expect(Self.startAll(&scheduler).started == [1])
        scheduler.finished()
        let candidate = scheduler.nextCandidate()
        scheduler.hold(try #require(candidate))
        let item = scheduler.nextCandidate()
        #expect(item == 2)
        #expect(scheduler.decide(2, windowOpen: false, elapsed: 0) == .deferRemaining([2, 3, 4]))
        #expect(scheduler.nextCandidate() == nil, "nothing starts after the window closed")
        #expect(scheduler.isDone)
        #expect(scheduler.stop().isEmpty, "every item already has its outcome")
    }

    @Test func aStopRequestInterruptsTheHeldAndPendingItemsOnly() {
        var scheduler = Self.scheduler([1, 2, 3, 4], concurrency: 2)
        #expect(Self.startAll(&scheduler).started == [1, 2])
        scheduler.finished()
        let next = scheduler.nextCandidate()
        #expect(next == 3)
        scheduler.hold(3)
        #expect(scheduler.stop() == [3, 4])
        #expect(scheduler.nextCandidate() == nil)
        #expect(!scheduler.isDone, "one item still runs")
        scheduler.finished()
        #expect(scheduler.isDone)
    }

    @Test func anEmptyRunIsDoneAtOnce() {
        var scheduler = Self.scheduler([])
        #expect(scheduler.nextCandidate() == nil)
        #expect(scheduler.isDone)
    }
}

extension Scheduler<Int64>.Decision: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.start, .start), (.deferOne, .deferOne): true
        case (.deferRemaining(let a), .deferRemaining(let b)): a == b
        default: false
        }
    }
}
