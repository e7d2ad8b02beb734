import SyncEngine
import Synchronization

/// What the process keeps until it exits rather than free: a command runs once and exits (`Main`), and
/// tearing down two listed 100 000-image catalogs record by record costs a tenth of a second or more of
/// one core after the run's work is done; the operating system takes the memory back at exit at once.
/// Nothing is kept that a later step of the same process would want freed: only `Replication.run`'s
/// listings, handed over once the report is made (and the report itself is written before exit).
enum KeptUntilExit {
    private static let listings = Mutex<[Replication.Listings]>([])

    /// For `Replication.run(…, keeping:)`.
    static let keep: @Sendable (Replication.Listings) -> Void = { kept in
        listings.withLock { $0.append(kept) }
    }
}
