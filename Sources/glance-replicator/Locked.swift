import Foundation

/// A value shared between the entry point and the command it runs, behind a lock: the few process-wide
/// facts of a run (its report, how stderr is written) that are set once and read at the end.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) {
        stored = value
    }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
