/// Which image of a run starts next, and what becomes of those that do not start: the run's scheduling
/// decisions as an I/O-free state machine (in the style of AsyncHTTPClient's `Transaction+StateMachine`).
///
/// The caller (`Replication.execute`) owns the tasks, the targets' upload limits and the clocks; it asks
/// `nextCandidate()` for an item whenever a slot may be free, tries to admit it on the item's targets, and
/// either `hold`s it (a target is full: it is tried again first, so the order is kept) or asks `decide`
/// with what the clocks say. Every item ends in exactly one of: started, deferred (outside the window,
/// past `--max-transfer`/`--max-duration`) or interrupted (a stop request before it started).
public struct Scheduler<Item: Sendable>: Sendable {
    /// What to do with an item that a target could take now.
    public enum Decision: Sendable {
        /// Start it (the scheduler counts it as running until `finished()`).
        case start
        /// Outside the window: this item and every one not yet started are deferred; nothing more starts.
        case deferRemaining([Item])
        /// Past the run's byte or time budget for this item; a smaller one after it may still start.
        case deferOne
    }

    private var pending: [Item]
    private var nextIndex = 0
    private var held: Item?
    private var budget: TransferBudget
    private let concurrency: Int
    private let size: @Sendable (Item) -> Int64
    /// Items started and not yet finished.
    public private(set) var running = 0
    /// Whether a stop request or a closed window ended the starting of new items.
    public private(set) var closed = false

    /// - Parameters:
    ///   - items: the run's work, in order.
    ///   - concurrency: at most this many items run at once.
    ///   - budget: `--max-transfer`/`--max-duration`.
    ///   - size: the bytes an item reads (what the budget counts).
    public init(
        items: [Item],
        concurrency: Int,
        budget: TransferBudget,
        size: @escaping @Sendable (Item) -> Int64
    ) {
        pending = items
        self.concurrency = max(1, concurrency)
        self.budget = budget
        self.size = size
    }

    /// The next item to try, when there is room and nothing ended the run's starts: the held one first.
    public mutating func nextCandidate() -> Item? {
        guard !closed, running < concurrency else { return nil }
        if let item = held {
            held = nil
            return item
        }
        guard nextIndex < pending.count else { return nil }
        defer { nextIndex += 1 }
        return pending[nextIndex]
    }

    /// A target of `item` has no room now: it is the next candidate again once a running item finishes.
    public mutating func hold(_ item: Item) {
        held = item
    }

    /// Whether `item`, which its targets can take now, starts: `windowOpen` and `elapsed` (seconds since the
    /// run began) as the clocks say at this moment.
    public mutating func decide(_ item: Item, windowOpen: Bool, elapsed: Double) -> Decision {
        guard windowOpen else {
            closed = true
            return .deferRemaining([item] + takeRemaining())
        }
        guard budget.admit(size: size(item), elapsed: elapsed) else { return .deferOne }
        running += 1
        return .start
    }

    /// A started item ended (whatever its outcome).
    public mutating func finished() {
        running = max(0, running - 1)
    }

    /// A stop request: nothing more starts; returns the items that never started (to report as interrupted).
    public mutating func stop() -> [Item] {
        closed = true
        return takeRemaining()
    }

    /// Whether nothing runs and nothing more can start: the run's work is over.
    public var isDone: Bool {
        running == 0 && (closed || (held == nil && nextIndex >= pending.count))
    }

    private mutating func takeRemaining() -> [Item] {
        var rest: [Item] = []
        if let item = held { rest.append(item) }
        held = nil
        rest += pending[nextIndex...]
        nextIndex = pending.count
        return rest
    }
}
