/// How the stored data of two images with the same id compare.
///
/// Equal means: the same size, and every hash both sides recorded agrees (md5 `checksum`, and the
/// multihash when both used the same `os_hash_algo`), and at least one such hash was there to compare.
/// Size alone never proves two images equal.
public enum DataComparison: Sendable, Hashable {
    case same
    /// The data differs; the fields that prove it.
    case different([FieldChange])
    /// Same size but no hash both sides share: the data cannot be proven equal.
    case unverifiable([FieldChange])

    public init(source: ImageRecord, target: ImageRecord) {
        var differing: [FieldChange] = []
        var matched = false
        if source.size != target.size {
            differing.append(
                FieldChange(field: "size", source: Self.value(source.size), target: Self.value(target.size))
            )
        }
        if let sourceMD5 = source.checksum, let targetMD5 = target.checksum {
            if sourceMD5 == targetMD5 || sourceMD5.lowercased() == targetMD5.lowercased() {
                matched = true
            } else {
                differing.append(FieldChange(field: "checksum", source: .string(sourceMD5), target: .string(targetMD5)))
            }
        }
        if let algorithm = source.osHashAlgo, algorithm == target.osHashAlgo,
            let sourceHash = source.osHashValue, let targetHash = target.osHashValue
        {
            if sourceHash == targetHash || sourceHash.lowercased() == targetHash.lowercased() {
                matched = true
            } else {
                differing.append(
                    FieldChange(field: "os_hash_value", source: .string(sourceHash), target: .string(targetHash))
                )
            }
        }
        if !differing.isEmpty {
            self = .different(differing)
        } else if matched {
            self = .same
        } else {
            self = .unverifiable([
                FieldChange(
                    field: "os_hash_algo",
                    source: source.osHashAlgo.map(MetadataValue.string) ?? .null,
                    target: target.osHashAlgo.map(MetadataValue.string) ?? .null
                )
            ])
        }
    }

    private static func value(_ size: Int64?) -> MetadataValue {
        size.map(MetadataValue.integer) ?? .null
    }
}
