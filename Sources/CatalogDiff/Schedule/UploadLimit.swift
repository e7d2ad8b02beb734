/// How many uploads one target gets at once, adapted to how it copes (AIMD, as TCP adapts its window).
///
/// It starts at the run's `--concurrency`. A target that answers with an overload (5xx, 429, 503, "database
/// is locked": `isOverload`) gets half as many for the rest of the run, down to one; a run of `growAfter`
/// uploads that went through since then gives it one more, up to the starting limit again. One burst of
/// overload answers halves the limit once: only uploads admitted since the last decrease can lower it again,
/// since the others were started under the old limit. An I/O-free state machine: the scheduler admits and
/// finishes uploads, the transfers report overloads; it only counts.
public struct UploadLimit: Sendable, Hashable {
    /// Handed out with each admission; says under which decrease the upload started.
    public struct Ticket: Sendable, Hashable {
        let epoch: Int
    }

    /// A change of the limit, for the log.
    public enum Change: Sendable, Hashable {
        case lowered(from: Int, to: Int)
        case raised(from: Int, to: Int)
    }

    /// The starting (and highest) limit.
    public let ceiling: Int
    /// Uploads that must go through, in a row, before the limit grows by one.
    public let growAfter: Int
    public private(set) var limit: Int
    /// The lowest the limit has been in this run.
    public private(set) var lowest: Int
    public private(set) var inFlight = 0
    private var epoch = 0
    private var successes = 0

    public init(ceiling: Int, growAfter: Int = 8) {
        self.ceiling = max(1, ceiling)
        self.growAfter = max(1, growAfter)
        limit = self.ceiling
        lowest = self.ceiling
    }

    /// Whether another upload may start now.
    public var hasRoom: Bool { inFlight < limit }

    /// Starts an upload if there is room.
    public mutating func admit() -> Ticket? {
        guard hasRoom else { return nil }
        inFlight += 1
        return Ticket(epoch: epoch)
    }

    /// Gives an admission back unused: neither a success nor a failure.
    public mutating func cancel(_ ticket: Ticket) {
        inFlight = max(0, inFlight - 1)
    }

    /// The target answered an upload admitted with `ticket` with an overload.
    public mutating func overloaded(_ ticket: Ticket) -> Change? {
        successes = 0
        guard ticket.epoch == epoch, limit > 1 else { return nil }
        let old = limit
        limit = max(1, limit / 2)
        lowest = min(lowest, limit)
        epoch += 1
        return .lowered(from: old, to: limit)
    }

    /// An upload admitted with `ticket` is over: it went through, or failed for another reason than overload
    /// (which neither lowers nor raises the limit, and breaks the run of successes).
    public mutating func finish(_ ticket: Ticket, succeeded: Bool) -> Change? {
        inFlight = max(0, inFlight - 1)
        guard succeeded else {
            successes = 0
            return nil
        }
        // Uploads started before the last decrease say nothing about the lower limit.
        guard ticket.epoch == epoch, limit < ceiling else { return nil }
        successes += 1
        guard successes >= growAfter else { return nil }
        successes = 0
        limit += 1
        return .raised(from: limit - 1, to: limit)
    }

    /// Whether an answer says the server is overloaded, rather than that the request was wrong: any 5xx, 429
    /// Too Many Requests, or a message naming SQLite's "database is locked" whatever the status.
    public static func isOverload(status: Int, message: String) -> Bool {
        status == 429 || (500...599).contains(status) || message.lowercased().contains("database is locked")
    }
}
