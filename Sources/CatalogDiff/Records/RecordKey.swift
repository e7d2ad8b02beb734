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

    /// The key whose name is `bytes` (UTF-8, escapes decoded): by length, then byte for byte.
    init(_ bytes: UnsafeRawBufferPointer) {
        func matches(_ name: StaticString) -> Bool {
            memcmp(bytes.baseAddress!, name.utf8Start, bytes.count) == 0
        }
        let field: RecordKey? =
            switch bytes.count {
            case 2: matches("id") ? .id : nil
            case 4:
                matches("name")
                    ? .name
                    : matches("tags") ? .tags : matches("size") ? .size : matches("self") || matches("file") ? .ignored : nil
            case 5: matches("owner") ? .owner : nil
            case 6: matches("status") ? .status : matches("stores") ? .stores : matches("schema") ? .ignored : nil
            case 7: matches("min_ram") ? .minRam : nil
            case 8: matches("min_disk") ? .minDisk : matches("checksum") ? .checksum : nil
            case 9:
                matches("protected") ? .protected : matches("os_hidden") ? .osHidden : matches("locations") ? .ignored : nil
            case 10:
                matches("visibility")
                    ? .visibility
                    : matches("created_at")
                        ? .createdAt : matches("updated_at") || matches("direct_url") ? .ignored : nil
            case 11: matches("disk_format") ? .diskFormat : nil
            case 12: matches("os_hash_algo") ? .osHashAlgo : matches("virtual_size") ? .ignored : nil
            case 13: matches("os_hash_value") ? .osHashValue : nil
            case 16: matches("container_format") ? .containerFormat : nil
            default: nil
            }
        self = field ?? .property(String(decoding: bytes, as: UTF8.self))
    }

    /// The key of `text` (a key read through its escapes).
    init(_ text: String) {
        var text = text
        self = text.withUTF8 { RecordKey(UnsafeRawBufferPointer($0)) }
    }
}
