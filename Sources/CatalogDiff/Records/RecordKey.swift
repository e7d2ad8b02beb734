/// A member key of a Glance image object, as the dump parser (`ImageRecordParser`) tells them apart: each
/// base field, or a custom property's name.
///
/// Keys are matched on their bytes, before any `String` is made: a record has some 25 members, and
/// building each key and comparing it with field names by `String` equality was a tenth of the parsing.
/// Only a custom property's key becomes a `String` (it is kept).
enum RecordKey: Equatable {
    case id, name, status, visibility, protected, osHidden, minDisk, minRam, diskFormat, containerFormat, tags
    case size, checksum, stores, osHashAlgo, osHashValue, owner, createdAt
    /// A base field that is never kept (`ImageRecord.baseFields`): its value is passed over, never built.
    case ignored
    case property(String)

    /// The base fields by their JSON names.
    private static let fields: [(name: StaticString, key: RecordKey)] = [
        ("id", .id), ("name", .name), ("status", .status), ("visibility", .visibility), ("protected", .protected),
        ("os_hidden", .osHidden), ("min_disk", .minDisk), ("min_ram", .minRam), ("disk_format", .diskFormat),
        ("container_format", .containerFormat), ("tags", .tags), ("size", .size), ("checksum", .checksum),
        ("stores", .stores), ("os_hash_algo", .osHashAlgo), ("os_hash_value", .osHashValue), ("owner", .owner),
        ("created_at", .createdAt), ("virtual_size", .ignored), ("updated_at", .ignored), ("self", .ignored),
        ("file", .ignored), ("schema", .ignored), ("locations", .ignored), ("direct_url", .ignored),
    ]

    /// The key whose name is `bytes` (UTF-8, escapes decoded).
    init(_ bytes: UnsafeRawBufferPointer) {
        for (name, key) in Self.fields where name.utf8CodeUnitCount == bytes.count {
            if bytes.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)) {
                self = key
                return
            }
        }
        self = .property(String(decoding: bytes, as: UTF8.self))
    }

    /// The key of `text` (a key read through its escapes).
    init(_ text: String) {
        var text = text
        self = text.withUTF8 { RecordKey(UnsafeRawBufferPointer($0)) }
    }

    /// Every base field's name and its key (for tests: one per field of `ImageRecord.baseFields`).
    static var baseFields: [(name: String, key: RecordKey)] { fields.map { ("\($0.name)", $0.key) } }
}
