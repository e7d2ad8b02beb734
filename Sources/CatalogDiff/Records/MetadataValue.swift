/// A metadata value as Glance's image schema types it: the subset of JSON that image fields use.
///
/// Kept deliberately small so that comparisons are exact (`min_disk` 1 and `"1"` differ) and the same
/// value can be written into a report, a create body and a JSON-patch operation.
public enum MetadataValue: Sendable, Hashable {
    case null
    case string(String)
    case integer(Int64)
    case bool(Bool)
    /// A list compared as a set (tags): always held sorted and without duplicates.
    case stringSet([String])

    public static func set<S: Sequence>(_ values: S) -> MetadataValue where S.Element == String {
        .stringSet(Array(Set(values)).sorted())
    }
}

extension MetadataValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .stringSet(let values): try container.encode(values)
        }
    }
}

extension MetadataValue: CustomStringConvertible {
    /// The form used in table output: strings quoted, so `"1"` and `1` read differently.
    public var description: String {
        switch self {
        case .null: "(none)"
        case .string(let value): "\"\(value)\""
        case .integer(let value): String(value)
        case .bool(let value): String(value)
        case .stringSet(let values): "[" + values.joined(separator: ", ") + "]"
        }
    }
}
