/// The JSON text of a report, written directly: byte for byte what `JSONEncoder` with `.prettyPrinted`,
/// `.sortedKeys` and `.withoutEscapingSlashes` makes of the `Encodable` conformances (a test holds the two
/// together), at a fraction of its time and memory. A report on a 100 000-image catalog took `JSONEncoder`
/// longer than reading and diffing both catalogs, and held a second copy of the report as a tree.
///
/// Keys are written in sorted order by hand: a field added to a report type must be added here too.
public enum ReportJSON {
    /// The whole text at once (small reports, tests).
    public static func encode(_ report: Report) -> [UInt8] {
        var bytes: [UInt8] = []
        write(report) { bytes.append(contentsOf: $0) }
        return bytes
    }

    public static func encode(_ report: SizeReport) -> [UInt8] {
        var bytes: [UInt8] = []
        write(report) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The text in pieces of about a megabyte, handed to `sink` as they are made, so a large report is never
    /// held whole.
    public static func write(_ report: Report, to sink: (UnsafeRawBufferPointer) -> Void) {
        var json = PrettyJSON()
        json.open("{")
        json.key("bytes_read")
        json.integer(report.bytesRead)
        json.key("dry_run")
        json.bool(report.dryRun)
        json.key("interrupted_by")
        if let signal = report.interruptedBy { json.string(signal) } else { json.null() }
        json.key("schema_version")
        json.integer(Int64(report.schemaVersion))
        json.key("source")
        json.string(report.source)
        json.key("targets")
        json.open("[")
        for target in report.targets {
            json.element()
            write(target, to: &json, sink: sink)
        }
        json.close("]")
        json.close("}")
        json.flush(to: sink)
    }

    public static func write(_ report: SizeReport, to sink: (UnsafeRawBufferPointer) -> Void) {
        var json = PrettyJSON()
        json.open("{")
        json.key("command")
        json.string(report.command)
        json.key("images")
        json.open("[")
        for image in report.images {
            if json.bytes.count >= PrettyJSON.flushSize { json.flush(to: sink) }
            json.element()
            json.open("{")
            json.key("bytes")
            json.integer(image.bytes)
            json.key("id")
            json.string(image.id)
            json.key("name")
            json.optionalString(image.name)
            json.key("visibility")
            json.string(image.visibility.rawValue)
            json.close("}")
        }
        json.close("]")
        json.key("schema_version")
        json.integer(Int64(report.schemaVersion))
        json.key("source")
        json.string(report.source)
        json.key("summary")
        json.open("{")
        json.key("bytes")
        json.integer(report.summary.bytes)
        json.key("images")
        json.integer(Int64(report.summary.images))
        json.close("}")
        json.close("}")
        json.flush(to: sink)
    }

    private static func write(
        _ target: TargetReport,
        to json: inout PrettyJSON,
        sink: (UnsafeRawBufferPointer) -> Void
    ) {
        json.open("{")
        json.key("images")
        json.open("[")
        // Images are written in batches of chunks, each chunk on its own core into its own buffer, then
        // handed over in order: the same text as one writer would make, without holding it all.
        let chunkSize = 2048
        let chunks = (target.images.count + chunkSize - 1) / chunkSize
        for batch in stride(from: 0, to: chunks, by: 8) {
            json.flush(to: sink)
            let pieces = target.images.withUnsafeBufferPointer { images in
                // Read through the buffer: an array element read in a closure is copied whole.
                Parallel.mapPieces(min(8, chunks - batch)) { offset -> [UInt8] in
                    let chunk = batch + offset
                    var piece = json.continuing(afterElements: chunk > 0)
                    for index in (chunk * chunkSize)..<min((chunk + 1) * chunkSize, images.count) {
                        piece.element()
                        write(images[index], to: &piece)
                    }
                    return piece.bytes
                }
            }
            for piece in pieces { piece.withUnsafeBytes(sink) }
        }
        if !target.images.isEmpty { json.markNotEmpty() }
        json.close("]")
        if let limit = target.lowestUploadLimit {
            json.key("lowest_upload_limit")
            json.integer(Int64(limit))
        }
        if let members = target.members {
            json.key("members")
            json.open("{")
            json.key("added")
            json.integer(Int64(members.added))
            json.key("errors")
            json.open("[")
            for error in members.errors {
                json.element()
                json.string(error)
            }
            json.close("]")
            json.key("extra")
            json.integer(Int64(members.extra))
            json.key("images")
            json.open("[")
            for image in members.images {
                json.element()
                write(image, to: &json)
            }
            json.close("]")
            json.key("missing")
            json.integer(Int64(members.missing))
            json.key("removed")
            json.integer(Int64(members.removed))
            json.close("}")
        }
        if let owner = target.owner {
            json.key("owner")
            json.string(owner.rawValue)
        }
        if let refusal = target.pruneRefused {
            json.key("prune_refused")
            json.open("{")
            json.key("candidates")
            json.integer(Int64(refusal.candidates))
            json.key("max_delete")
            json.integer(Int64(refusal.maxDelete))
            json.close("}")
        }
        json.key("summary")
        let s = target.summary
        json.open("{")
        for (key, value) in [
            ("bytes_to_copy", s.bytesToCopy), ("data_conflict", Int64(s.dataConflict)),
            ("deactivated_at_source", Int64(s.deactivatedAtSource)), ("extra", Int64(s.extra)),
            ("in_sync", Int64(s.inSync)), ("invalid", Int64(s.invalid)), ("metadata_drift", Int64(s.metadataDrift)),
            ("missing", Int64(s.missing)), ("missing_in_stores", Int64(s.missingInStores)),
            ("no_data", Int64(s.noData)), ("same_content_other_id", Int64(s.sameContentOtherID)),
            ("status_drift", Int64(s.statusDrift)), ("to_delete", Int64(s.toDelete)),
        ] {
            json.key(key)
            json.integer(value)
        }
        json.close("}")
        json.key("target")
        json.string(target.target)
        json.close("}")
    }

    private static func write(_ image: MemberImageReport, to json: inout PrettyJSON) {
        json.open("{")
        json.key("id")
        json.string(image.id)
        json.key("members")
        json.open("[")
        for member in image.members {
            json.element()
            json.open("{")
            json.key("action")
            json.string(member.action.rawValue)
            json.key("member")
            json.string(member.member)
            json.key("result")
            if let result = member.result { json.string(result.rawValue) } else { json.null() }
            json.key("source_status")
            json.optionalString(member.sourceStatus)
            json.key("state")
            json.string(member.state.rawValue)
            json.key("target_status")
            json.optionalString(member.targetStatus)
            json.close("}")
        }
        json.close("]")
        json.key("name")
        json.optionalString(image.name)
        json.close("}")
    }

    private static func write(_ image: ImageReport, to json: inout PrettyJSON) {
        json.open("{")
        json.key("action")
        json.string(image.action.rawValue)
        json.key("bytes")
        json.integer(image.bytes)
        json.key("changes")
        json.open("[")
        for change in image.changes {
            json.element()
            json.open("{")
            json.key("field")
            json.string(change.field)
            json.key("source")
            json.value(change.source)
            json.key("target")
            json.value(change.target)
            json.close("}")
        }
        json.close("]")
        json.key("error")
        json.optionalString(image.error)
        json.key("id")
        json.string(image.id)
        json.key("name")
        json.optionalString(image.name)
        json.key("result")
        json.string(image.result.rawValue)
        if let twin = image.sameContentAs {
            json.key("same_content_as")
            json.string(twin)
        }
        json.key("state")
        json.string(image.state.rawValue)
        json.close("}")
    }
}

/// JSONEncoder's pretty layout: two-space indents, `"key" : value`, an empty container as `[`, a blank
/// line, and its closing bracket.
struct PrettyJSON {
    static let flushSize = 1 << 20

    var bytes: [UInt8] = []
    private var level = 0
    /// Per open container: whether nothing has been written into it yet.
    private var empty: [Bool] = []

    init(reserving capacity: Int = Self.flushSize + (1 << 16)) {
        bytes.reserveCapacity(capacity)
    }

    /// A writer for more elements of the innermost open container, into a buffer of its own: at the same
    /// depth, and with the separator the next element needs.
    func continuing(afterElements: Bool) -> PrettyJSON {
        var piece = PrettyJSON(reserving: 1 << 16)
        piece.level = level
        piece.empty = [!afterElements && empty.last == true]
        return piece
    }

    /// Records that the innermost container got elements elsewhere (see `continuing`).
    mutating func markNotEmpty() {
        empty[empty.count - 1] = false
    }

    /// Hands over what was written so far and starts a new piece.
    mutating func flush(to sink: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes(sink)
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func open(_ bracket: Unicode.Scalar) {
        bytes.append(UInt8(ascii: bracket))
        empty.append(true)
        level += 1
    }

    mutating func close(_ bracket: Unicode.Scalar) {
        level -= 1
        bytes.append(0x0a)
        if empty.removeLast() { bytes.append(0x0a) }
        indent()
        bytes.append(UInt8(ascii: bracket))
    }

    /// Starts the next element of the innermost container.
    mutating func element() {
        if empty[empty.count - 1] {
            empty[empty.count - 1] = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
        bytes.append(0x0a)
        indent()
    }

    mutating func key(_ key: String) {
        element()
        string(key)
        bytes.append(contentsOf: [0x20, UInt8(ascii: ":"), 0x20])
    }

    private mutating func indent() {
        bytes.append(contentsOf: repeatElement(0x20, count: 2 * level))
    }

    mutating func bool(_ value: Bool) {
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    mutating func null() {
        bytes.append(contentsOf: Array("null".utf8))
    }

    mutating func integer(_ value: Int64) {
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    mutating func value(_ value: MetadataValue) {
        switch value {
        case .null: null()
        case .string(let text): string(text)
        case .integer(let number): integer(number)
        case .bool(let flag): bool(flag)
        case .stringSet(let values):
            open("[")
            for text in values {
                element()
                string(text)
            }
            close("]")
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\n`-style escapes or `\u00XX`, `/` and
    /// everything else as it is (UTF-8).
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings (ids, names, states) need no escape: copied whole, not byte by byte.
        let copied =
            text.utf8.withContiguousStorageIfAvailable { utf8 in
                guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == 0x5c }) else {
                    return false
                }
                bytes.append(contentsOf: utf8)
                return true
            } ?? false
        if !copied { escape(text) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `text`'s bytes with `"` and `\` escaped, control characters as `\n`-style escapes or `\u00XX`.
    private mutating func escape(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5c, byte])
            case 0x5c: bytes.append(contentsOf: [0x5c, 0x5c])
            case 0x0a: bytes.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0d: bytes.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [0x5c, UInt8(ascii: "b")])
            case 0x0c: bytes.append(contentsOf: [0x5c, UInt8(ascii: "f")])
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [
                    0x5c, UInt8(ascii: "u"), 0x30, 0x30, digits[Int(byte >> 4)], digits[Int(byte & 0xf)],
                ])
            default: bytes.append(byte)
            }
        }
    }
}
