import CatalogDiff
import Logging
import Synchronization

/// Every target's `UploadLimit` in one run: the scheduler admits an image only when each target it writes to
/// has room, and the transfers' requests report overload answers (through `OverloadProbe`) as they come.
final class TargetLoads: Sendable {
    /// The targets' API roots, in the run's target order.
    let roots: [String]
    private let limits: Mutex<[UploadLimit]>
    private let logger: Logger

    init(roots: [String], ceiling: Int, logger: Logger) {
        self.roots = roots
        limits = Mutex(roots.map { _ in UploadLimit(ceiling: ceiling) })
        self.logger = logger
    }

    /// Admits one upload on each of `targets` (indices), or on none of them when one is full.
    func admit(_ targets: Set<Int>) -> [Int: UploadLimit.Ticket]? {
        limits.withLock { limits in
            guard targets.allSatisfy({ limits[$0].hasRoom }) else { return nil }
            var tickets: [Int: UploadLimit.Ticket] = [:]
            for target in targets { tickets[target] = limits[target].admit() }
            return tickets
        }
    }

    /// Gives admissions back unused (the image was deferred after all).
    func release(_ tickets: [Int: UploadLimit.Ticket]) {
        limits.withLock { limits in
            for (target, ticket) in tickets { limits[target].cancel(ticket) }
        }
    }

    func overloaded(_ target: Int, _ ticket: UploadLimit.Ticket, status: Int) {
        let change = limits.withLock { $0[target].overloaded(ticket) }
        log(change, target: target, cause: "HTTP \(status)")
    }

    func finish(_ target: Int, _ ticket: UploadLimit.Ticket, succeeded: Bool) {
        let change = limits.withLock { $0[target].finish(ticket, succeeded: succeeded) }
        log(change, target: target, cause: "uploads went through")
    }

    /// Each target's lowest limit in the run.
    var lowest: [Int] { limits.withLock { $0.map(\.lowest) } }

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
/// admitted under: a task local, so that the transfers' requests need no extra parameter.
struct OverloadProbe: Sendable {
    @TaskLocal static var current: OverloadProbe?

    let loads: TargetLoads
    let tickets: [Int: UploadLimit.Ticket]

    /// Called with every error answer a Glance endpoint gives; counts only overloads of this image's targets.
    static func observe(endpoint root: String, status: Int, message: String) {
        guard let probe = current, UploadLimit.isOverload(status: status, message: message) else { return }
        for (target, ticket) in probe.tickets where probe.loads.roots[target] == root {
            probe.loads.overloaded(target, ticket, status: status)
        }
    }
}
