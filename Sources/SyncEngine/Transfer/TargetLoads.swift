import CatalogDiff
import Logging
import OpenStackAPI
import Synchronization

/// Every target's `UploadLimit` in one run: the scheduler admits an image only when each target it writes to
/// has room, and the transfers' requests report overload answers (through `OverloadProbe`) as they come.
///
/// Targets are the run's transfers by index; transfers to one endpoint (sync's lanes into one region, from
/// different holders) share that endpoint's limit.
final class TargetLoads: Sendable {
    /// The targets' API roots, in the run's target order.
    let roots: [String]
    /// Per target, the index of its endpoint's limit.
    private let slots: [Int]
    private let limits: Mutex<[UploadLimit]>
    private let logger: Logger

    init(roots: [String], ceiling: Int, logger: Logger) {
        self.roots = roots
        var unique: [String: Int] = [:]
        slots = roots.map { root in
            if let slot = unique[root] { return slot }
            unique[root] = unique.count
            return unique.count - 1
        }
        limits = Mutex(Array(repeating: UploadLimit(ceiling: ceiling), count: unique.count))
        self.logger = logger
    }

    /// Admits one upload on each of `targets` (indices), or on none of them when one is full.
    func admit(_ targets: Set<Int>) -> [Int: UploadLimit.Ticket]? {
        limits.withLock { limits in
            guard targets.allSatisfy({ limits[slots[$0]].hasRoom }) else { return nil }
            var tickets: [Int: UploadLimit.Ticket] = [:]
            for target in targets { tickets[target] = limits[slots[target]].admit() }
            return tickets
        }
    }

    /// Gives admissions back unused (the image was deferred after all).
    func release(_ tickets: [Int: UploadLimit.Ticket]) {
        limits.withLock { limits in
            for (target, ticket) in tickets { limits[slots[target]].cancel(ticket) }
        }
    }

    func overloaded(_ target: Int, _ ticket: UploadLimit.Ticket, status: Int) {
        let change = limits.withLock { $0[slots[target]].overloaded(ticket) }
        log(change, target: target, cause: "HTTP \(status)")
    }

    func finish(_ target: Int, _ ticket: UploadLimit.Ticket, succeeded: Bool) {
        let change = limits.withLock { $0[slots[target]].finish(ticket, succeeded: succeeded) }
        log(change, target: target, cause: "uploads went through")
    }

    /// Each target's lowest limit in the run (its endpoint's).
    var lowest: [Int] { limits.withLock { limits in slots.map { limits[$0].lowest } } }

    private func log(_ change: UploadLimit.Change?, target: Int, cause: String) {
        guard let change else { return }
        switch change {
        case .lowered(let from, let to):
            logger.info(
                "target overloaded: fewer uploads at once",
                metadata: ["target": "\(roots[target])", "limit": "\(from) -> \(to)", "cause": "\(cause)"]
            )
        case .raised(let from, let to):
            logger.info(
                "target copes again: more uploads at once",
                metadata: ["target": "\(roots[target])", "limit": "\(from) -> \(to)"]
            )
        }
    }
}

/// Which targets the requests of one scheduled image report overload answers to, with the tickets it was
/// admitted under: set as the task's `GlanceErrorAnswers.listener`, so that the requests need no extra parameter.
struct OverloadProbe: GlanceErrorListener {
    let loads: TargetLoads
    let tickets: [Int: UploadLimit.Ticket]

    /// Called with every error answer a Glance endpoint gives; counts only overloads of this image's targets.
    func errorAnswer(endpoint root: String, status: Int, message: String) {
        guard UploadLimit.isOverload(status: status, message: message) else { return }
        for (target, ticket) in tickets where loads.roots[target] == root {
            loads.overloaded(target, ticket, status: status)
        }
    }
}
