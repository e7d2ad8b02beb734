/// Decodes the image JSON Glance v2 returns (`GET /v2/images`, `GET /v2/images/{id}`, create and patch
/// responses), where custom properties are top-level keys beside the schema's base fields.
extension ImageRecord: Decodable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Base fields of Glance's image schema that are not custom properties, whether or not they are kept.
    public static let baseFields: Set<String> = [
        "id", "name", "status", "visibility", "protected", "os_hidden", "min_disk", "min_ram", "disk_format",
        "container_format", "tags", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "owner",
        "created_at", "updated_at", "self", "file", "schema", "stores", "locations", "direct_url",
    ]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        func value<T: Decodable>(_ type: T.Type, _ name: String) throws -> T? {
            try container.decodeIfPresent(T.self, forKey: Key(stringValue: name))
        }
        let visibilityText = try value(String.self, "visibility") ?? Visibility.shared.rawValue
        guard let visibility = Visibility(rawValue: visibilityText) else {
            throw DecodingError.dataCorruptedError(
                forKey: Key(stringValue: "visibility"),
                in: container,
                debugDescription: "unknown visibility '\(visibilityText)'"
            )
        }
        var properties: [String: String] = [:]
        for key in container.allKeys where !Self.baseFields.contains(key.stringValue) {
            // The schema types additional properties as strings; anything else is not a property we can copy.
            if let text = try? container.decode(String.self, forKey: key) {
                properties[key.stringValue] = text
            }
        }
        let stores = try value(String.self, "stores")
        self.init(
            id: try container.decode(String.self, forKey: Key(stringValue: "id")),
            name: try value(String.self, "name"),
            status: try value(String.self, "status") ?? ImageStatus.queued,
            visibility: visibility,
            protected: try value(Bool.self, "protected") ?? false,
            osHidden: try value(Bool.self, "os_hidden") ?? false,
            minDisk: try value(Int64.self, "min_disk") ?? 0,
            minRam: try value(Int64.self, "min_ram") ?? 0,
            diskFormat: try value(String.self, "disk_format"),
            containerFormat: try value(String.self, "container_format"),
            tags: try value([String].self, "tags") ?? [],
            size: try value(Int64.self, "size"),
            checksum: try value(String.self, "checksum"),
            osHashAlgo: try value(String.self, "os_hash_algo"),
            osHashValue: try value(String.self, "os_hash_value"),
            owner: try value(String.self, "owner"),
            createdAt: try value(String.self, "created_at"),
            properties: properties
        )
        self.stores = Self.storeList(stores)
        self = validated()
    }

    /// `"fs,fs2"` as Glance writes it, to `["fs", "fs2"]`.
    static func storeList(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map(trimmingWhitespace).filter { !$0.isEmpty }
    }

    /// `text` without the whitespace (`CharacterSet.whitespaces`) at its ends. Only a text that begins or ends
    /// with a space, a tab or a non-ASCII byte can have any: the others are taken as they are, without
    /// Foundation's trimming, which goes through `NSString` and was a tenth of reading a large dump.
    static func trimmingWhitespace(_ text: Substring) -> String {
        func plain(_ byte: UInt8?) -> Bool {
            byte.map { $0 < 0x80 && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") } ?? false
        }
        guard plain(text.utf8.first), plain(text.utf8.last) else {
            return String(text).trimmingCharacters(in: .whitespaces)
        }
        return String(text)
    }
}

/// One page of `GET /v2/images`.
public struct ImageListPage: Decodable, Sendable {
    public var images: [ImageRecord]
    /// Present whenever the page was full; a relative URL repeating the query with a `marker`.
    public var next: String?
}
