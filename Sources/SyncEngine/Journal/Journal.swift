import CatalogDiff
import Foundation

/// The state a run leaves for the next one: which runs happened, which transfers are under way (their spool
/// files and how far they got) and how far each target's copy went.
///
/// SQLite in WAL mode, at `$XDG_STATE_HOME/glance-replicator/state.sqlite` unless `--state` says otherwise.
/// The schema is versioned with `PRAGMA user_version` and migrated forward when a newer glance-replicator
/// opens an older journal, so a rolling upgrade continues the transfers the old version started. A journal
/// newer than this binary is refused rather than written in a shape the binary does not know.
public actor Journal {
    /// Schema migrations, in order: entry `n` takes a journal from version `n` to `n + 1`. Append only.
    static let migrations: [String] = [
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            pid INTEGER NOT NULL,
            source TEXT NOT NULL,
            targets TEXT NOT NULL,
            outcome TEXT NOT NULL DEFAULT 'running'
        );
        CREATE TABLE transfers (
            source TEXT NOT NULL,
            image_id TEXT NOT NULL,
            name TEXT,
            size INTEGER NOT NULL,
            checksum TEXT,
            os_hash_algo TEXT,
            os_hash_value TEXT,
            spool_path TEXT,
            spooled_bytes INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, image_id)
        );
        """,
        """
        ALTER TABLE runs ADD COLUMN copied INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN bytes_read INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE target_copies (
            source TEXT NOT NULL,
            image_id TEXT NOT NULL,
            target TEXT NOT NULL,
            state TEXT NOT NULL,
            run_id INTEGER,
            error TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, image_id, target)
        );
        """,
        """
        CREATE TABLE burnt_ids (
            target TEXT NOT NULL,
            image_id TEXT NOT NULL,
            source TEXT NOT NULL,
            name TEXT,
            run_id INTEGER,
            detected_at TEXT NOT NULL,
            PRIMARY KEY (target, image_id)
        );
        """,
    ]

    /// The schema version this binary writes.
    public static var schemaVersion: Int { migrations.count }

    public nonisolated let path: String
    let database: SQLiteDatabase

    /// Opens (creating it and its directory if needed) and migrates the journal at `path`. `schemaVersion`
    /// stops the migration early: tests use it to make a journal as an older release left it.
    public init(path: String, schemaVersion: Int = Journal.schemaVersion) throws(ReplicatorError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try OwnFile.createFolder(directory)
            } catch {
                throw .journal(
                    path,
                    "cannot create its directory: \(error.localizedDescription) (\(SQLiteDatabase.writableAdvice))"
                )
            }
        }
        // Created here, 0600 and not through a link, so that SQLite (which gives its -wal and -shm files the
        // database's permissions) never makes a world-readable journal.
        let descriptor = OwnFile.open(path, O_RDWR | O_CREAT)
        guard descriptor >= 0 else {
            throw .journal(
                path,
                "cannot open it: \(String(cString: strerror(errno))) (\(SQLiteDatabase.writableAdvice))"
            )
        }
        close(descriptor)
        self.path = path
        database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON")
        try Self.migrate(database, to: schemaVersion)
    }

    /// Opens the journal at `path` to read it only (`status`): nothing is created, migrated or written.
    public init(readingAt path: String) throws(ReplicatorError) {
        self.path = path
        database = try SQLiteDatabase(path: path, readOnly: true)
        let stored = Int(try database.query("PRAGMA user_version").first?.first?.integer ?? 0)
        guard stored == Self.migrations.count else {
            throw .journal(
                path,
                "its schema version is \(stored), this glance-replicator reads \(Self.migrations.count): "
                    + (stored > Self.migrations.count
                        ? "run the newer release" : "a replicate run with this release migrates it")
            )
        }
    }

    /// Runs one statement on the journal (tests use it to stage what older releases or dead runs left).
    func execute(_ sql: String, _ values: [SQLiteDatabase.Value] = []) throws(ReplicatorError) {
        try database.query(sql, values)
    }

    /// The journal's schema version as stored.
    public func storedVersion() throws(ReplicatorError) -> Int {
        Int(try database.query("PRAGMA user_version").first?.first?.integer ?? 0)
    }

    private static func migrate(_ database: SQLiteDatabase, to wanted: Int) throws(ReplicatorError) {
        let current = Int(try database.query("PRAGMA user_version").first?.first?.integer ?? 0)
        guard current <= migrations.count else {
            throw .journal(
                database.path,
                "its schema version \(current) is newer than this glance-replicator knows (\(migrations.count)): "
                    + "run the newer release, or point --state elsewhere"
            )
        }
        for version in current..<max(current, wanted) {
            do {
                try database.execute(
                    "BEGIN IMMEDIATE; \(migrations[version]) PRAGMA user_version = \(version + 1); COMMIT",
                    doing: "migrating its schema to version \(version + 1)"
                )
            } catch {
                try? database.execute("ROLLBACK")
                throw error
            }
        }
    }

    static func now() -> String {
        Date().ISO8601Format()
    }
}
