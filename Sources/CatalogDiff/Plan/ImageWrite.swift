/// The request bodies that make a target image match a source image: pure, so what is sent can be tested.
public enum ImageWrite {
    /// The `POST /v2/images` body for a copy: the same id and every replicated field, except `protected`,
    /// which is set only once the data is verified (a protected image cannot be deleted if the copy fails).
    /// `disk_format` and `container_format` are always sent: Glance refuses data without them. The
    /// provenance property, when the rules name one, marks the copy as this source's (see `Provenance`).
    /// `owner` (`--preserve-owner`, credentials with the admin role) sends the source's owner; otherwise
    /// Glance makes the replicating project the owner.
    public static func createBody(
        for source: ImageRecord,
        rules: FieldRules,
        owner: Bool = false
    ) -> [String: MetadataValue] {
        var body = rules.metadata(of: source)
        if owner, let sourceOwner = source.owner { body["owner"] = .string(sourceOwner) }
        if let provenance = rules.provenance { body[Provenance.property] = .string(provenance) }
        body["id"] = .string(source.id)
        body["protected"] = nil
        if let diskFormat = source.diskFormat { body["disk_format"] = .string(diskFormat) }
        if let containerFormat = source.containerFormat { body["container_format"] = .string(containerFormat) }
        return body
    }

    /// The JSON-patch operations (RFC 6902, as Glance's `application/openstack-images-v2.1-json-patch`
    /// takes them) that apply `changes`: base fields are replaced, custom properties added or removed.
    public static func patch(for changes: [FieldChange]) -> [PatchOperation] {
        changes.map { change in
            let path = pointer(to: change.field)
            if FieldRules.isBaseField(change.field) {
                return PatchOperation(op: .replace, path: path, value: change.source)
            }
            if change.source == .null {
                return PatchOperation(op: .remove, path: path, value: nil)
            }
            return PatchOperation(op: .add, path: path, value: change.source)
        }
    }

    /// A JSON pointer (RFC 6901) to a top-level field: `~` and `/` in property names are escaped.
    static func pointer(to field: String) -> String {
        var escaped = ""
        for character in field {
            switch character {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.append(character)
            }
        }
        return "/" + escaped
    }
}

/// One JSON-patch operation.
public struct PatchOperation: Sendable, Hashable, Encodable {
    public enum Operation: String, Sendable, Hashable, Encodable {
        case add, replace, remove
    }

    public var op: Operation
    public var path: String
    public var value: MetadataValue?

    public init(op: Operation, path: String, value: MetadataValue?) {
        self.op = op
        self.path = path
        self.value = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(op, forKey: .op)
        try container.encode(path, forKey: .path)
        if op != .remove { try container.encode(value ?? .null, forKey: .value) }
    }

    enum CodingKeys: String, CodingKey { case op, path, value }
}
