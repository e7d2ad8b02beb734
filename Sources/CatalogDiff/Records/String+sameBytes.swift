import Foundation

extension String {
    /// Whether this string's UTF-8 is byte for byte `bytes`: not `==`, which takes another Unicode spelling of
    /// the same text as equal. Native strings and arrays hold their bytes contiguously: one `memcmp`, not a loop
    /// over the views.
    public func hasSameBytes<Bytes: Collection<UInt8>>(as bytes: Bytes) -> Bool {
        guard utf8.count == bytes.count else { return false }
        let compared = utf8.withContiguousStorageIfAvailable { mine in
            bytes.withContiguousStorageIfAvailable { theirs in
                mine.isEmpty || memcmp(mine.baseAddress!, theirs.baseAddress!, mine.count) == 0
            }
        }
        return (compared ?? nil) ?? utf8.elementsEqual(bytes)
    }
}
