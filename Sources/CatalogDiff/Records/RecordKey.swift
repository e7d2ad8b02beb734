import Foundation

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

    /// The key whose name is `bytes` (UTF-8, escapes decoded).
    init(_ bytes: UnsafeRawBufferPointer) {
        self = Self.baseField(bytes) ?? .property(String(decoding: bytes, as: UTF8.self))
    }

    /// The base field named `bytes`, if any: by length, then byte for byte.
    private static func baseField(_ bytes: UnsafeRawBufferPointer) -> RecordKey? {
        func matches(_ name: StaticString) -> Bool {
            memcmp(bytes.baseAddress!, name.utf8Start, bytes.count) == 0
        }
        switch bytes.count {
        case 2:
            if matches("id") { return .id }
        case 4:
            if matches("name") { return .name }
            if matches("tags") { return .tags }
            if matches("size") { return .size }
            if matches("self") || matches("file") { return .ignored }
        case 5:
            if matches("owner") { return .owner }
        case 6:
            if matches("status") { return .status }
            if matches("stores") { return .stores }
            if matches("schema") { return .ignored }
        case 7:
            if matches("min_ram") { return .minRam }
        case 8:
            if matches("min_disk") { return .minDisk }
            if matches("checksum") { return .checksum }
        case 9:
            if matches("protected") { return .protected }
            if matches("os_hidden") { return .osHidden }
            if matches("locations") { return .ignored }
        case 10:
            if matches("visibility") { return .visibility }
            if matches("created_at") { return .createdAt }
            if matches("updated_at") || matches("direct_url") { return .ignored }
        case 11:
            if matches("disk_format") { return .diskFormat }
        case 12:
            if matches("os_hash_algo") { return .osHashAlgo }
            if matches("virtual_size") { return .ignored }
        case 13:
            if matches("os_hash_value") { return .osHashValue }
        case 16:
            if matches("container_format") { return .containerFormat }
        default:
            break
        }
        return nil
    }

    /// The key of `text` (a key read through its escapes).
    init(_ text: String) {
        var text = text
        self = text.withUTF8 { RecordKey(UnsafeRawBufferPointer($0)) }
    }
}
