import CatalogDiff
import Foundation

extension ImageLocation {
    /// The provenance value copies from this source carry when the operator names none (`--source-name`):
    /// the cloud's name (and region) for `cloud:` locations, else a short digest of the location, so that the
    /// property, readable by every project that sees the image, never shows an endpoint URL or a path.
    public var provenanceName: String {
        switch self {
        case .cloud(let cloud): cloud.region.map { "\(cloud.name)/\($0)" } ?? cloud.name
        case .glance(let endpoint): "glance-" + Self.shortDigest(endpoint.root)
        case .dump(let directory): "dump-" + Self.shortDigest(directory.description)
        }
    }

    /// The first 12 hex digits of the text's sha256: stable between runs and hosts, and says nothing of it.
    static func shortDigest(_ text: String) -> String {
        guard let digest = StreamDigest(algorithm: "sha256") else { return "unknown" }
        digest.update(Array(text.utf8))
        return String(digest.finalize().prefix(12))
    }
}

extension Provenance {
    /// Checks an operator's `--source-name`: Glance keeps at most 255 characters of a property value, and a
    /// name with control characters would be unreadable in `openstack image show`.
    public static func validate(sourceName name: String) throws(ReplicatorError) {
        guard !name.isEmpty, name.count <= 255,
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
            name.trimmingCharacters(in: .whitespaces) == name
        else {
            throw ReplicatorError.invalidOption(
                "--source-name must be 1 to 255 characters, without control characters or surrounding spaces"
            )
        }
    }
}
