import CSQLite
import CatalogDiff

#if canImport(Glibc)
import Glibc
#endif

/// A SQLite connection with just what the journal needs: statements with bound values, run one at a time.
///
/// Owned by the `Journal` actor, which serialises every use; it is therefore not `Sendable`.
final class SQLiteDatabase {
    /// A value bound to, or read from, a statement column.
    enum Value: Sendable, Hashable {
        case null
        case integer(Int64)
        case text(String)

        var integer: Int64? {
            if case .integer(let value) = self { return value }
            return nil
        }

        var text: String? {
            if case .text(let value) = self { return value }
            return nil
        }
    }

    let path: String
    private let handle: OpaquePointer

    /// `readOnly`: nothing is written, not even a missing file created (`status`). Never through a link.
    init(path: String, readOnly: Bool = false) throws(ReplicatorError) {
        var handle: OpaquePointer?
        let access = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        let flags = access | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            var message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle, sqlite3_system_errno(handle) != 0 {
                message += ": \(String(cString: strerror(sqlite3_system_errno(handle))))"
                message += " (\(Self.writableAdvice))"
            }
            sqlite3_close(handle)
            throw .journal(path, "cannot open it: \(message)")
        }
        self.path = path
        self.handle = handle
        // Another run (or `status`) may hold the database for a moment: wait rather than fail.
        sqlite3_busy_timeout(handle, Int32(Self.busyTimeout * 1000))
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// What to do about a journal that cannot be created or written where it is.
    static let writableAdvice = "give --state a path this user can write"

    /// How long a statement waits for a lock another process holds before it fails, in seconds.
    static let busyTimeout = 10

    /// Runs statements that return no rows (schema, pragmas), separated by semicolons. `doing` names the work
    /// in the error.
    func execute(_ sql: String, doing: String? = nil) throws(ReplicatorError) {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &error)
        guard code == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(error)
            throw failure(code, message, doing: doing)
        }
    }

    /// Runs one statement with `values` bound to its `?` parameters and returns every row.
    @discardableResult
    func query(_ sql: String, _ values: [Value] = []) throws(ReplicatorError) -> [[Value]] {
        var statement: OpaquePointer?
        let prepared = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard prepared == SQLITE_OK, let statement else { throw failure(prepared) }
        defer { sqlite3_finalize(statement) }
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, position)
            case .integer(let number): sqlite3_bind_int64(statement, position, number)
            case .text(let text): sqlite3_bind_text(statement, position, text, -1, Self.transient)
            }
        }
        var rows: [[Value]] = []
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                rows.append(
                    (0..<sqlite3_column_count(statement)).map { column in
                        switch sqlite3_column_type(statement, column) {
                        case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, column))
                        case SQLITE_NULL: .null
                        default: .text(String(cString: sqlite3_column_text(statement, column)))
                        }
                    }
                )
            case SQLITE_DONE:
                return rows
            case let code:
                throw failure(code)
            }
        }
    }

    var lastInsertedRow: Int64 { sqlite3_last_insert_rowid(handle) }

    /// The journal's error for a failed call: SQLite's message and, for what an operator can mend (a lock
    /// held elsewhere, a full or failing disk), what to do.
    private func failure(_ code: Int32, _ message: String? = nil, doing: String? = nil) -> ReplicatorError {
        var detail = message ?? String(cString: sqlite3_errmsg(handle))
        let system = sqlite3_system_errno(handle)
        switch code & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED:
            detail +=
                " (another process held it for \(Self.busyTimeout) s: another glance-replicator run with the same "
                + "--state, or a program reading it; run again once it is done)"
        case SQLITE_READONLY:
            detail += " (its file or file system is read-only: \(Self.writableAdvice))"
        case SQLITE_FULL, SQLITE_IOERR:
            if system != 0 { detail += ": \(String(cString: strerror(system)))" }
            if code & 0xff == SQLITE_FULL || [ENOSPC, EFBIG, EDQUOT].contains(system) {
                detail += " (free space on its file system, or give --state a path on another)"
            }
        default:
            break
        }
        return .journal(path, doing.map { "\($0) failed: \(detail)" } ?? detail)
    }

    /// SQLITE_TRANSIENT: SQLite copies bound text before the Swift string goes away.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
