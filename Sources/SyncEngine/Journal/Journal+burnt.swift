import CatalogDiff
import Foundation

/// An image id a target refuses because an image with that id was deleted there (Glance never reuses a
/// deleted id): the copy cannot be made until the target's operator frees the id.
public struct BurntID: Sendable, Hashable, Encodable {
    public var target: String
    public var imageID: String
    public var source: String
    public var name: String?
    public var runID: Int64?
    public var detectedAt: String

    enum CodingKeys: String, CodingKey {
        case target, source, name
        case imageID = "image_id"
        case runID = "run_id"
        case detectedAt = "detected_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(target, forKey: .target)
        try container.encode(imageID, forKey: .imageID)
        try container.encode(source, forKey: .source)
        try container.encode(name, forKey: .name)
        try container.encode(runID, forKey: .runID)
        try container.encode(detectedAt, forKey: .detectedAt)
    }
}

extension Journal {
    /// Records that `target` refused `imageID` as a deleted image's id (kept until a copy succeeds).
    func recordBurnt(
        target: String,
        imageID: String,
        source: String,
        name: String?,
        runID: Int64?
    ) throws(ReplicatorError) {
        try database.query(
            """
            INSERT INTO burnt_ids (target, image_id, source, name, run_id, detected_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (target, image_id) DO UPDATE SET
                source = excluded.source, name = excluded.name, run_id = excluded.run_id
            """,
            [
                .text(target), .text(imageID), .text(source), name.map { .text($0) } ?? .null,
                runID.map { .integer($0) } ?? .null, .text(Self.now()),
            ]
        )
    }

    /// The id is usable again on `target` (a copy with it succeeded).
    func clearBurnt(target: String, imageID: String) throws(ReplicatorError) {
        try database.query(
            "DELETE FROM burnt_ids WHERE target = ? AND image_id = ?",
            [.text(target), .text(imageID)]
        )
    }

    /// Every burnt id, by target then id.
    public func burntIDs() throws(ReplicatorError) -> [BurntID] {
        try database.query(
            "SELECT target, image_id, source, name, run_id, detected_at FROM burnt_ids ORDER BY target, image_id"
        ).map { row in
            BurntID(
                target: row[0].text ?? "",
                imageID: row[1].text ?? "",
                source: row[2].text ?? "",
                name: row[3].text,
                runID: row[4].integer,
                detectedAt: row[5].text ?? ""
            )
        }
    }
}
