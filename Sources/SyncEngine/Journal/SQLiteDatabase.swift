import CSQLite
import CatalogDiff

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
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw .journal(path, "cannot open it: \(message)")
        }
        self.path = path
        self.handle = handle
        // Another run (or `status`) may hold the database for a moment: wait rather than fail.
        sqlite3_busy_timeout(handle, 10_000)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Runs statements that return no rows (schema, pragmas), separated by semicolons.
    func execute(_ sql: String) throws(ReplicatorError) {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? lastError
            sqlite3_free(error)
            throw .journal(path, message)
        }
    }

    /// Runs one statement with `values` bound to its `?` parameters and returns every row.
    @discardableResult
    func query(_ sql: String, _ values: [Value] = []) throws(ReplicatorError) -> [[Value]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw .journal(path, lastError)
        }
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
            default:
                throw .journal(path, lastError)
            }
        }
    }

    var lastInsertedRow: Int64 { sqlite3_last_insert_rowid(handle) }

    private var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// SQLITE_TRANSIENT: SQLite copies bound text before the Swift string goes away.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
