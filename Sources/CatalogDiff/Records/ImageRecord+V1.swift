import Foundation

/// An image record of the old glance-replicator's dumps: the Images v1 JSON that `GET /v1/images/detail`
/// returned (`is_public`, a nested `properties` object, `deleted`, `deleted_at`, v1 timestamps), mapped to
/// the v2 record this tool compares and copies.
///
/// - `is_public: true` is `public`, `false` is `private` (v1 had no community or shared visibility; the
///   dump does not hold members).
/// - `properties` become top-level custom properties; a property named like a v2 base field, or whose
///   value is null, is dropped (v2 cannot hold it).
/// - Deleted records (`deleted: true`, status `deleted` or `pending_delete`) are skipped: `nil`.
/// - The other v1 statuses (`queued`, `saving`, `active`, `killed`) are kept as they are; only `active`
///   images are ever in scope.
/// - `size` and `checksum` (md5) are what the data is verified against; v1 had no multihash.
public enum ImageRecordV1 {
    public struct Invalid: Error, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// Records larger than this are not image records (a v1 record is a few KiB).
    public static let maxRecordBytes = 1 << 20

    /// The v2 record of a v1 JSON document, or nil when the record is of a deleted image.
    public static func record(_ data: Data) throws(Invalid) -> ImageRecord? {
        guard data.count <= maxRecordBytes else { throw Invalid(description: "larger than a v1 image record") }
        let value: Value
        do {
            value = try JSONDecoder().decode(Value.self, from: data)
        } catch {
            throw Invalid(description: "not JSON")
        }
        guard case .object(let fields) = value else { throw Invalid(description: "not a JSON object") }
        return try record(fields)
    }

    static func record(_ fields: [String: Value]) throws(Invalid) -> ImageRecord? {
        guard let id = try string(fields, "id"), !id.isEmpty else { throw Invalid(description: "no id") }
        guard case .bool(let isPublic) = fields["is_public"] else {
            throw Invalid(description: "no is_public: not an Images v1 record")
        }
        let status = try string(fields, "status") ?? ImageStatus.queued
        if try bool(fields, "deleted") == true || status == ImageStatus.deleted || status == ImageStatus.pendingDelete {
            return nil
        }
        var properties: [String: String] = [:]
        switch fields["properties"] {
        case nil, .null: break
        case .object(let nested):
            for (key, value) in nested where !ImageRecord.baseFields.contains(key) {
                switch value {
                case .null: break
                case .string(let text): properties[key] = text
                case .integer(let number): properties[key] = String(number)
                case .bool(let flag): properties[key] = String(flag)
                default: throw Invalid(description: "property \(key) is not a string")
                }
            }
        default: throw Invalid(description: "properties is not an object")
        }
        return ImageRecord(
            id: id,
            name: try string(fields, "name"),
            status: status,
            visibility: isPublic ? .public : .private,
            protected: try bool(fields, "protected") ?? false,
            minDisk: try integer(fields, "min_disk") ?? 0,
            minRam: try integer(fields, "min_ram") ?? 0,
            diskFormat: try string(fields, "disk_format"),
            containerFormat: try string(fields, "container_format"),
            size: try integer(fields, "size"),
            checksum: try string(fields, "checksum"),
            owner: try string(fields, "owner"),
            createdAt: try string(fields, "created_at").map(v2Timestamp),
            properties: properties
        )
    }

    /// v1's `2014-02-18T20:52:08.000000` as v2 writes it, `2014-02-18T20:52:08Z`; anything else unchanged.
    static func v2Timestamp(_ text: String) -> String {
        guard text.count >= 19, text.dropFirst(10).first == "T", !text.contains("+") else { return text }
        return String(text.prefix(19)) + "Z"
    }

    private static func string(_ fields: [String: Value], _ key: String) throws(Invalid) -> String? {
        switch fields[key] {
        case nil, .null: return nil
        case .string(let text): return text
        default: throw Invalid(description: "\(key) is not a string")
        }
    }

    private static func bool(_ fields: [String: Value], _ key: String) throws(Invalid) -> Bool? {
        switch fields[key] {
        case nil, .null: return nil
        case .bool(let flag): return flag
        default: throw Invalid(description: "\(key) is not true or false")
        }
    }

    private static func integer(_ fields: [String: Value], _ key: String) throws(Invalid) -> Int64? {
        switch fields[key] {
        case nil, .null: return nil
        case .integer(let number) where number >= 0: return number
        default: throw Invalid(description: "\(key) is not a whole number of 0 or more")
        }
    }

    /// A JSON value, with true/false kept apart from numbers (JSONDecoder decodes neither as the other).
    enum Value: Decodable, Hashable {
        case null
        case bool(Bool)
        case integer(Int64)
        case number(Double)
        case string(String)
        case array([Value])
        case object([String: Value])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let flag = try? container.decode(Bool.self) {
                self = .bool(flag)
            } else if let number = try? container.decode(Int64.self) {
                self = .integer(number)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let text = try? container.decode(String.self) {
                self = .string(text)
            } else if let object = try? container.decode([String: Value].self) {
                self = .object(object)
            } else {
                self = .array(try container.decode([Value].self))
            }
        }
    }
}
