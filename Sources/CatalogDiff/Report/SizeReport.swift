/// The document `size` writes (`--format json`, `--report`): how many in-scope images a catalog holds
/// and their bytes, image by image. `"command": "size"` tells it apart from a plan report.
public struct SizeReport: Sendable, Hashable, Encodable {
    public var schemaVersion = 1
    public var command = "size"
    public var source: String
    public var summary: SizeSummary
    /// Sorted by name then id, as plan reports are.
    public var images: [SizedImage]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case command, source, summary, images
    }

    /// The in-scope images of `catalog` (as `scope.containsSource` decides).
    public init(source: String, catalog: [ImageRecord], scope: ImageScope) {
        self.source = source
        var images: [SizedImage] = []
        var bytes: Int64 = 0
        for image in catalog where scope.containsSource(image) {
            let size = max(0, image.size ?? 0)
            images.append(SizedImage(id: image.id, name: image.name, visibility: image.visibility, bytes: size))
            // An out-of-range size (negative, absurd) from a server is listed as it is, never summed.
            if image.invalidity == nil { bytes = bytes.addingSaturated(size) }
        }
        images.sort { ($0.name ?? "", $0.id) < ($1.name ?? "", $1.id) }
        self.images = images
        self.summary = SizeSummary(images: images.count, bytes: bytes)
    }
}

public struct SizeSummary: Sendable, Hashable, Encodable {
    public var images: Int
    public var bytes: Int64
}

public struct SizedImage: Sendable, Hashable, Encodable {
    public var id: String
    public var name: String?
    public var visibility: Visibility
    public var bytes: Int64

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(visibility, forKey: .visibility)
        try container.encode(bytes, forKey: .bytes)
    }

    enum CodingKeys: String, CodingKey { case id, name, visibility, bytes }
}
