/// A direct parser of one Glance image JSON object into an `ImageRecord`, for catalogs read from files.
///
/// A dump directory of 100 000 images is 100 000 small JSON documents; Foundation's `JSONDecoder` spends
/// several times longer on each than reading the file takes. This parser reads the bytes once, builds
/// only the strings the record keeps, and follows the `Decodable` conformance exactly: the same fields,
/// the same defaults, custom properties taken from string-valued top-level keys, and a wrong type in a
/// kept field is an error (tests compare both on real Glance listings).
public enum ImageRecordParser {
    /// Parses one JSON object; `bytes` must hold the whole document.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(ImageRecordParseError) -> ImageRecord {
        var reader = JSONReader(bytes)
        let record = try reader.imageRecord()
        reader.skipWhitespace()
        guard reader.atEnd else { throw reader.error("unexpected data after the object") }
        return record
    }

    public static func parse(_ bytes: [UInt8]) throws(ImageRecordParseError) -> ImageRecord {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageRecordParseError) in try parse(raw) }
        }
        return try result.get()
    }
}

/// Why a document is not an image record: what was wrong and at which byte.
public struct ImageRecordParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public var description: String { "\(message) (at byte \(offset))" }
}

/// A JSON value as far as an image record needs to know it.
private enum JSONValue {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case null
    case strings([String])
    /// A number that is not an integer, an object, or an array that is not all strings.
    case other(String)
}

private struct JSONReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var atEnd: Bool { index >= bytes.count }

    func error(_ message: String) -> ImageRecordParseError {
        ImageRecordParseError(message: message, offset: index)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0a, 0x0d: index += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(ImageRecordParseError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw error("expected \(what)") }
        index += 1
    }

    /// The next non-blank byte, not consumed.
    mutating func peek() throws(ImageRecordParseError) -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of the document") }
        return bytes[index]
    }

    // MARK: the record

    mutating func imageRecord() throws(ImageRecordParseError) -> ImageRecord {
        var record = ImageRecord(
            id: "",
            status: ImageStatus.queued,
            visibility: .shared,
            diskFormat: nil,
            containerFormat: nil
        )
        var hasID = false
        try expect(UInt8(ascii: "{"), "an object")
        if try peek() == UInt8(ascii: "}") {
            index += 1
            throw error("no 'id'")
        }
        members: while true {
            let keyStart = index
            let key = try memberKey()
            try expect(UInt8(ascii: ":"), "':'")
            if key == .ignored {
                try skipValue()
                if try endOfMember() { break members } else { continue members }
            }
            let value = try self.value()
            func mismatch(_ type: String) -> ImageRecordParseError {
                ImageRecordParseError(message: "'\(keyText(at: keyStart))' is not \(type)", offset: keyStart)
            }
            switch key {
            case .id:
                guard case .string(let text) = value else { throw mismatch("a string") }
                record.id = text
                hasID = true
            case .name: record.name = try optionalString(value, mismatch)
            case .status: record.status = try optionalString(value, mismatch) ?? ImageStatus.queued
            case .visibility:
                let text = try optionalString(value, mismatch) ?? Visibility.shared.rawValue
                guard let visibility = Visibility(rawValue: text) else {
                    throw ImageRecordParseError(message: "unknown visibility '\(text)'", offset: keyStart)
                }
                record.visibility = visibility
            case .protected: record.protected = try optionalBool(value, mismatch) ?? false
            case .osHidden: record.osHidden = try optionalBool(value, mismatch) ?? false
            case .minDisk: record.minDisk = try optionalInteger(value, mismatch) ?? 0
            case .minRam: record.minRam = try optionalInteger(value, mismatch) ?? 0
            case .diskFormat: record.diskFormat = try optionalString(value, mismatch)
            case .containerFormat: record.containerFormat = try optionalString(value, mismatch)
            case .tags:
                switch value {
                case .null: record.tags = []
                case .strings(let tags): record.tags = tags
                default: throw mismatch("a list of strings")
                }
            case .size: record.size = try optionalInteger(value, mismatch)
            case .checksum: record.checksum = try optionalString(value, mismatch)
            case .stores: record.stores = ImageRecord.storeList(try optionalString(value, mismatch))
            case .osHashAlgo: record.osHashAlgo = try optionalString(value, mismatch)
            case .osHashValue: record.osHashValue = try optionalString(value, mismatch)
            case .owner: record.owner = try optionalString(value, mismatch)
            case .createdAt: record.createdAt = try optionalString(value, mismatch)
            case .ignored: break
            case .property(let name):
                if case .string(let text) = value { record.properties[name] = text }
            }
            if try endOfMember() { break members }
        }
        guard hasID else { throw error("no 'id'") }
        return record.validated()
    }

    /// A member's key, at the next non-blank byte. A plain ASCII key (every base field's) is matched on its
    /// bytes where it lies; one with escapes or other characters is read as `string()` reads it, then matched.
    private mutating func memberKey() throws(ImageRecordParseError) -> RecordKey {
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            var end = index + 1
            while end < bytes.count, case let byte = bytes[end], byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\""),
                byte != UInt8(ascii: "\\")
            {
                end += 1
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                let key = RecordKey(UnsafeRawBufferPointer(rebasing: bytes[(index + 1)..<end]))
                index = end + 1
                return key
            }
        }
        return RecordKey(try string())
    }

    /// The key that begins at `start`, for an error message.
    private func keyText(at start: Int) -> String {
        var reader = self
        reader.index = start
        return (try? reader.string()) ?? ""
    }

    /// After a member: `true` at the object's closing `}`, `false` after a `,` (another member follows).
    private mutating func endOfMember() throws(ImageRecordParseError) -> Bool {
        let next = try peek()
        index += 1
        if next == UInt8(ascii: "}") { return true }
        guard next == UInt8(ascii: ",") else {
            index -= 1
            throw error("expected ',' or '}'")
        }
        return false
    }

    private func optionalString(
        _ value: JSONValue,
        _ mismatch: (String) -> ImageRecordParseError
    ) throws(ImageRecordParseError) -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return text
        default: throw mismatch("a string")
        }
    }

    private func optionalBool(
        _ value: JSONValue,
        _ mismatch: (String) -> ImageRecordParseError
    ) throws(ImageRecordParseError) -> Bool? {
        switch value {
        case .null: return nil
        case .bool(let flag): return flag
        default: throw mismatch("a boolean")
        }
    }

    private func optionalInteger(
        _ value: JSONValue,
        _ mismatch: (String) -> ImageRecordParseError
    ) throws(ImageRecordParseError) -> Int64? {
        switch value {
        case .null: return nil
        case .integer(let number): return number
        default: throw mismatch("an integer")
        }
    }

    // MARK: values

    mutating func value() throws(ImageRecordParseError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"):
            try skipContainer()
            return .other("object")
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: return try number()
        }
    }

    mutating func literal(_ word: StaticString) throws(ImageRecordParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of the document") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw error("invalid literal")
        }
        index += count
    }

    mutating func number() throws(ImageRecordParseError) -> JSONValue {
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var magnitude: UInt64 = 0
        var digits = 0
        var overflow = false
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(bytes[index] - 0x30))
            overflow = overflow || o1 || o2
            magnitude = sum
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw error("invalid value") }
        var fractional = false
        scanning: while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"),
                0x30...0x39:
                fractional = true
                index += 1
            default:
                break scanning
            }
        }
        if fractional || overflow { return .other("number") }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return .other("number") }
            return .integer(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
        }
        guard magnitude <= UInt64(Int64.max) else { return .other("number") }
        return .integer(Int64(magnitude))
    }

    mutating func array() throws(ImageRecordParseError) -> JSONValue {
        try expect(UInt8(ascii: "["), "'['")
        var strings: [String] = []
        var allStrings = true
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return .strings([])
        }
        while true {
            // A nested array or object is passed over without recursion (`skipContainer` counts its depth),
            // so no nesting, however deep, can exhaust the stack.
            if case let next = try peek(), next == UInt8(ascii: "[") || next == UInt8(ascii: "{") {
                try skipContainer()
                allStrings = false
            } else {
                switch try value() {
                case .string(let text): strings.append(text)
                default: allStrings = false
                }
            }
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "]") { break }
            guard next == UInt8(ascii: ",") else {
                index -= 1
                throw error("expected ',' or ']'")
            }
        }
        return allStrings ? .strings(strings) : .other("array")
    }

    /// Passes over a value no field of the record uses, checking its syntax without building it.
    mutating func skipValue() throws(ImageRecordParseError) {
        switch try peek() {
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["): try skipContainer()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try number()
        }
    }

    /// Passes over a string (escapes included) without building it.
    mutating func skipString() throws(ImageRecordParseError) {
        try expect(UInt8(ascii: "\""), "a string")
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"): index += 2
            case 0..<0x20: throw error("control character in a string")
            default: index += 1
            }
        }
        throw error("unterminated string")
    }

    /// Skips an object or array (a value no field of the record uses), checking only its nesting and strings.
    mutating func skipContainer() throws(ImageRecordParseError) {
        var depth = 0
        repeat {
            guard index < bytes.count else { throw error("unexpected end of the document") }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                index += 1
            case UInt8(ascii: "\""):
                try skipString()
            default:
                index += 1
            }
        } while depth > 0
    }

    /// A string, at the next non-blank byte; escapes decoded, UTF-8 checked.
    mutating func string() throws(ImageRecordParseError) -> String {
        try expect(UInt8(ascii: "\""), "a string")
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                // ASCII needs no validation: most of an image record is ids, hashes, dates and field names.
                let text =
                    ascii
                    ? String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    : try utf8(start..<index)
                index += 1
                return text
            }
            ascii = ascii && byte < 0x80
            if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if byte < 0x20 { throw error("control character in a string") }
            index += 1
        }
        throw error("unterminated string")
    }

    private func utf8(_ range: Range<Int>) throws(ImageRecordParseError) -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw ImageRecordParseError(message: "invalid UTF-8 in a string", offset: range.lowerBound)
        }
        return text
    }

    private mutating func escapedString(from start: Int) throws(ImageRecordParseError) -> String {
        var buffer = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: buffer, as: UTF8.self) else {
                    throw ImageRecordParseError(message: "invalid UTF-8 in a string", offset: start)
                }
                return text
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0c)
                case UInt8(ascii: "n"): buffer.append(0x0a)
                case UInt8(ascii: "r"): buffer.append(0x0d)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xd800..<0xdc00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw error("unpaired surrogate in a string") }
                        index += 2
                        let low = try hex4()
                        guard (0xdc00..<0xe000).contains(low) else { throw error("unpaired surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    } else if (0xdc00..<0xe000).contains(scalar) {
                        throw error("unpaired surrogate in a string")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    buffer.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw error("invalid escape in a string")
                }
            default:
                if byte < 0x20 { throw error("control character in a string") }
                buffer.append(byte)
            }
        }
        throw error("unterminated string")
    }

    private mutating func hex4() throws(ImageRecordParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("unexpected end of the document") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
