import CatalogDiff
import Foundation

/// Listings captured from real Glance 33.0.0 regions (scripts/glance-regions), decoded as the client does.
enum Fixtures {
    static func listing(_ name: String) throws -> [ImageRecord] {
        guard let url = (Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures")) else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(ImageListPage.self, from: Data(contentsOf: url)).images
    }

    /// A fixture file's bytes (`name` with its extension).
    static func data(_ name: String) throws -> Data {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        guard let url = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try Data(contentsOf: url)
    }
}

/// A source-side image with data, for building cases.
func activeImage(
    _ id: String,
    name: String? = nil,
    size: Int64 = 1000,
    checksum: String? = "md5-a",
    algo: String? = "sha512",
    hash: String? = "sha-a",
    visibility: Visibility = .public,
    status: String = ImageStatus.active,
    tags: [String] = [],
    properties: [String: String] = [:]
) -> ImageRecord {
    ImageRecord(
        id: id,
        name: name ?? "image-\(id)",
        status: status,
        visibility: visibility,
        tags: tags,
        size: size,
        checksum: checksum,
        osHashAlgo: algo,
        osHashValue: hash,
        properties: properties
    )
}
