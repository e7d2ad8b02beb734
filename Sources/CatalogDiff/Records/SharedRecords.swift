import Foundation

/// A catalog already listed, whose values a second listing of the same images takes over where they are
/// byte for byte the same, so that two catalogs that mostly agree hold most of their strings once.
///
/// A record's ids, hashes, dates, tags and properties are a few hundred bytes of separately allocated
/// strings and collections; a 100 000-image source and a target in sync with it hold each of them twice.
/// A target record, as it is listed, takes the source record's storage for every field whose bytes equal
/// its own: the values (and so every plan, report and request made from them) are unchanged, and the
/// target's own copies are freed at once rather than held for the run.
///
/// Equality here is of UTF-8 bytes, not `String`'s `==` (which takes canonically equivalent strings as
/// equal): a value is only ever replaced by one with the very same bytes.
public struct SharedRecords: Sendable {
    private let records: [ImageRecord]
    private let positions: IDPositions

    /// Indexes `records` by id (ids listed twice: the first).
    public init(_ records: [ImageRecord]) {
        self.records = records
        positions = records.withUnsafeBufferPointer { records in
            // Read through the buffer: an array element read in a closure is copied whole.
            IDPositions(count: records.count, keeping: .first) { records[$0].id }
        }
    }

    /// `record` with the storage of the listed record of the same id wherever the bytes are the same;
    /// `record` itself when there is none.
    public func sharing(_ record: ImageRecord) -> ImageRecord {
        guard let position = positions[record.id] else { return record }
        var shared = record
        records.withUnsafeBufferPointer { records in
            // Read through the buffer: an array element read in a closure may be copied whole.
            shared.share(records[position])
        }
        return shared
    }
}

extension ImageRecord {
    /// Takes `other`'s storage: all of it when every field's bytes equal this record's (the record is then
    /// a reference to `other`'s fields), else that of each field whose bytes do.
    mutating func share(_ other: ImageRecord) {
        guard !sharesStorage(with: other) else { return }
        if Self.sameBytes(self, other) {
            takeStorage(of: other)
            return
        }
        Self.share(&id, other.id)
        Self.share(&name, other.name)
        Self.share(&status, other.status)
        Self.share(&diskFormat, other.diskFormat)
        Self.share(&containerFormat, other.containerFormat)
        if Self.sameBytes(tags, other.tags) { tags = other.tags }
        Self.share(&checksum, other.checksum)
        Self.share(&osHashAlgo, other.osHashAlgo)
        Self.share(&osHashValue, other.osHashValue)
        Self.share(&owner, other.owner)
        Self.share(&createdAt, other.createdAt)
        if Self.sameBytes(properties, other.properties) { properties = other.properties }
        if Self.sameBytes(stores, other.stores) { stores = other.stores }
    }

    private static func share(_ value: inout String, _ other: String) {
        if sameBytes(value, other) { value = other }
    }

    private static func share(_ value: inout String?, _ other: String?) {
        guard let text = value, let other, sameBytes(text, other) else { return }
        value = other
    }

    /// Every field equal, and every string of them byte for byte.
    static func sameBytes(_ a: ImageRecord, _ b: ImageRecord) -> Bool {
        a.visibility == b.visibility && a.protected == b.protected && a.osHidden == b.osHidden
            && a.minDisk == b.minDisk && a.minRam == b.minRam && a.size == b.size && a.invalidity == b.invalidity
            && sameBytes(a.id, b.id) && sameBytes(a.name, b.name) && sameBytes(a.status, b.status)
            && sameBytes(a.diskFormat, b.diskFormat) && sameBytes(a.containerFormat, b.containerFormat)
            && sameBytes(a.tags, b.tags) && sameBytes(a.checksum, b.checksum) && sameBytes(a.osHashAlgo, b.osHashAlgo)
            && sameBytes(a.osHashValue, b.osHashValue) && sameBytes(a.owner, b.owner)
            && sameBytes(a.createdAt, b.createdAt) && sameBytes(a.properties, b.properties)
            && sameBytes(a.stores, b.stores)
    }

    /// Both absent, or both present with the same bytes.
    static func sameBytes(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let a?, let b?): sameBytes(a, b)
        default: false
        }
    }

    static func sameBytes(_ a: String, _ b: String) -> Bool {
        a.hasSameBytes(as: b.utf8)
    }

    static func sameBytes(_ a: [String], _ b: [String]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { sameBytes($0, $1) }
    }

    /// Same keys and values, byte for byte (a key is looked up by `String` equality, then its bytes checked).
    static func sameBytes(_ a: [String: String], _ b: [String: String]) -> Bool {
        guard a.count == b.count else { return false }
        for (key, value) in a {
            guard let index = b.index(forKey: key) else { return false }
            let (otherKey, otherValue) = b[index]
            guard sameBytes(key, otherKey), sameBytes(value, otherValue) else { return false }
        }
        return true
    }
}
