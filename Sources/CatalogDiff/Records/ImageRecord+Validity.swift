/// Why a record parsed from a server or a dump is not acted on.
public struct RecordInvalidity: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The id is not a UUID: it never becomes a URL, a file name or a journal key, nor matches anything.
        case id
        /// The size is negative or past `ImageRecord.maxSize`.
        case size
    }

    public var kind: Kind
    public var description: String
}

/// Server data is untrusted: a record is acted on only when its id is a UUID (as Glance's schema demands
/// of every id) and its size is one a disk could hold. Checked once, where records are parsed (the JSON
/// decoder and the dump parser call `validated()`): an invalid record is planned `ImageState.invalid`,
/// reported, and never becomes a URL, a file path or a journal key.
extension ImageRecord {
    /// The largest size taken as real (1 PiB): sums of a catalog's sizes then stay far inside `Int64`.
    public static let maxSize: Int64 = 1 << 50

    /// This record with `invalidity` set from its id and size.
    public func validated() -> ImageRecord {
        var record = self
        if !Self.isUUID(id) {
            record.invalidity = RecordInvalidity(kind: .id, description: "its id is not a UUID (Glance ids are)")
        } else if let size, !(0...Self.maxSize).contains(size) {
            record.invalidity = RecordInvalidity(
                kind: .size,
                description: "its size \(size) is out of range (0 to \(Self.maxSize) bytes)"
            )
        }
        return record
    }

    /// Whether the id may match, and name, anything (a record built in code is trusted; a parsed one is
    /// checked).
    public var hasUsableID: Bool { invalidity?.kind != .id }

    /// `8-4-4-4-12` hexadecimal digits, either case: Glance's pattern for image ids.
    public static func isUUID(_ id: String) -> Bool {
        guard id.utf8.count == 36 else { return false }
        // A native string's bytes are read in place: its UTF-8 view's iterator costs several times more.
        return id.utf8.withContiguousStorageIfAvailable { isUUID(bytes: $0) } ?? isUUID(bytes: Array(id.utf8))
    }

    private static func isUUID(bytes: some Collection<UInt8>) -> Bool {
        var count = 0
        for byte in bytes {
            switch count {
            case 8, 13, 18, 23: guard byte == UInt8(ascii: "-") else { return false }
            default:
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                    UInt8(ascii: "A")...UInt8(ascii: "F"):
                    break
                default: return false
                }
            }
            count += 1
            if count > 36 { return false }
        }
        return count == 36
    }
}

extension ImageRecord {
    /// `text` (an id) as one URL path segment or file name: percent-encoded but for the unreserved
    /// characters of RFC 3986, so a UUID is unchanged and nothing else can hold a `/`, a `?`, a `#` or a
    /// NUL. Followed by a suffix (`.json`, `.part`) it is never `.` or `..` either: a file named so stays in
    /// its folder.
    public static func pathSegment(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Int64 {
    /// `self + other`, held at `Int64.max` / `Int64.min` instead of trapping: sizes come from servers.
    public func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}
