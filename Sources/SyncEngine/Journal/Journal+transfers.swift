import CatalogDiff
import Foundation

/// A source image whose data is (or was being) carried to targets, with its spool file and how far each
/// target got. Kept until every target holds a verified copy.
public struct JournalTransfer: Sendable, Hashable, Encodable {
    public var source: String
    public var imageID: String
    public var name: String?
    public var size: Int64
    public var expected: ExpectedData
    public var spoolPath: String?
    /// Bytes of the spool file written when last recorded (the file itself is authoritative).
    public var spooledBytes: Int64
    public var updatedAt: String
    /// Target root → state (`created`, `uploading`, `verified`, `failed`).
    public var targets: [String: String]

    enum CodingKeys: String, CodingKey {
        case source, name, size, targets
        case imageID = "image_id"
        case spoolPath = "spool_path"
        case spooledBytes = "spooled_bytes"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encode(imageID, forKey: .imageID)
        try container.encode(name, forKey: .name)
        try container.encode(size, forKey: .size)
        try container.encode(spoolPath, forKey: .spoolPath)
        try container.encode(spooledBytes, forKey: .spooledBytes)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(targets, forKey: .targets)
    }
}

extension Journal {
    /// Records (or renews) a transfer about to start.
    func beginTransfer(
        source: String,
        image: ImageRecord,
        expected: ExpectedData,
        spoolPath: String?
    ) throws(ReplicatorError) {
        try database.query(
            """
            INSERT INTO transfers (source, image_id, name, size, checksum, os_hash_algo, os_hash_value, spool_path,
                                   spooled_bytes, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
            ON CONFLICT (source, image_id) DO UPDATE SET
                name = excluded.name, size = excluded.size, checksum = excluded.checksum,
                os_hash_algo = excluded.os_hash_algo, os_hash_value = excluded.os_hash_value,
                spool_path = excluded.spool_path, updated_at = excluded.updated_at
            """,
            [
                .text(source), .text(image.id), image.name.map { .text($0) } ?? .null, .integer(expected.size),
                expected.md5.map { .text($0) } ?? .null, expected.hashAlgorithm.map { .text($0) } ?? .null,
                expected.multihashValue.map { .text($0) } ?? .null, spoolPath.map { .text($0) } ?? .null,
                .text(Self.now()),
            ]
        )
    }

    /// The transfer recorded for a source image, if any.
    func transfer(source: String, imageID: String) throws(ReplicatorError) -> JournalTransfer? {
        try transfers(where: "t.source = ? AND t.image_id = ?", [.text(source), .text(imageID)]).first
    }

    /// Every transfer not yet complete on all its targets.
    public func partialTransfers() throws(ReplicatorError) -> [JournalTransfer] {
        try transfers(where: "1 = 1", [])
    }

    func recordSpooled(source: String, imageID: String, bytes: Int64) throws(ReplicatorError) {
        try database.query(
            "UPDATE transfers SET spooled_bytes = ?, updated_at = ? WHERE source = ? AND image_id = ?",
            [.integer(bytes), .text(Self.now()), .text(source), .text(imageID)]
        )
    }

    func recordTarget(
        source: String,
        imageID: String,
        target: String,
        state: String,
        runID: Int64?,
        error: String? = nil
    ) throws(ReplicatorError) {
        try database.query(
            """
            INSERT INTO target_copies (source, image_id, target, state, run_id, error, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (source, image_id, target) DO UPDATE SET
                state = excluded.state, run_id = excluded.run_id, error = excluded.error,
                updated_at = excluded.updated_at
            """,
            [
                .text(source), .text(imageID), .text(target), .text(state), runID.map { .integer($0) } ?? .null,
                error.map { .text($0) } ?? .null, .text(Self.now()),
            ]
        )
    }

    /// The transfer is complete on every target: forget it.
    func endTransfer(source: String, imageID: String) throws(ReplicatorError) {
        try database.execute("BEGIN IMMEDIATE")
        do {
            try database.query(
                "DELETE FROM target_copies WHERE source = ? AND image_id = ?",
                [.text(source), .text(imageID)]
            )
            try database.query(
                "DELETE FROM transfers WHERE source = ? AND image_id = ?",
                [.text(source), .text(imageID)]
            )
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    /// The spool file's length is what the next run resumes from; the journal's figure is recorded only now
    /// and then, so the file wins when it is there.
    private static func spooled(recorded: Int64, file: String?) -> Int64 {
        guard let file, let attributes = try? FileManager.default.attributesOfItem(atPath: file),
            let size = (attributes[.size] as? NSNumber)?.int64Value
        else { return recorded }
        return size
    }

    private func transfers(
        where condition: String,
        _ values: [SQLiteDatabase.Value]
    ) throws(ReplicatorError) -> [JournalTransfer] {
        let rows = try database.query(
            """
            SELECT t.source, t.image_id, t.name, t.size, t.checksum, t.os_hash_algo, t.os_hash_value, t.spool_path,
                   t.spooled_bytes, t.updated_at
            FROM transfers t WHERE \(condition) ORDER BY t.updated_at
            """,
            values
        )
        return try rows.map { row throws(ReplicatorError) in
            let source = row[0].text ?? ""
            let imageID = row[1].text ?? ""
            let states = try database.query(
                "SELECT target, state FROM target_copies WHERE source = ? AND image_id = ?",
                [.text(source), .text(imageID)]
            )
            return JournalTransfer(
                source: source,
                imageID: imageID,
                name: row[2].text,
                size: row[3].integer ?? 0,
                expected: ExpectedData(
                    size: row[3].integer ?? 0,
                    md5: row[4].text,
                    hashAlgorithm: row[5].text,
                    hashValue: row[6].text
                ),
                spoolPath: row[7].text,
                spooledBytes: Self.spooled(recorded: row[8].integer ?? 0, file: row[7].text),
                updatedAt: row[9].text ?? "",
                targets: Dictionary(
                    states.map { ($0[0].text ?? "", $0[1].text ?? "") },
                    uniquingKeysWith: { _, last in last }
                )
            )
        }
    }
}
