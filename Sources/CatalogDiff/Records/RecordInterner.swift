/// One reader's memory of the values that many records of a catalog repeat (tag lists, store lists, an
/// owner's project id), so that a listing holds each of them once rather than once per record.
///
/// Parsing makes a new array for every record's `tags` and `stores`, and a new string for every value too
/// long to be stored inline (more than 15 UTF-8 bytes, as a project id is): in a 100 000-image catalog
/// that is a few hundred thousand allocations of a handful of distinct values. A record passed through
/// `intern` takes the storage of an equal value met before, compared byte for byte (as `SharedRecords`
/// does). At most `capacity` distinct values of each kind are remembered, so a catalog whose values are all
/// different costs a bounded table and a lookup per record, nothing more.
public struct RecordInterner {
    private var strings: [String: String] = [:]
    private var lists: [[String]: [String]] = [:]
    private let capacity: Int

    public init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    /// `record`, with its tags, stores and owner taking the storage of equal values interned before.
    public mutating func intern(_ record: inout ImageRecord) {
        if !record.tags.isEmpty { intern(&record.tags) }
        if !record.stores.isEmpty { intern(&record.stores) }
        if let owner = record.owner, owner.utf8.count > 15 { record.owner = intern(owner) }
    }

    private mutating func intern(_ list: inout [String]) {
        if let known = lists[list] {
            if ImageRecord.sameBytes(known, list) { list = known }
        } else if lists.count < capacity {
            lists[list] = list
        }
    }

    private mutating func intern(_ text: String) -> String {
        if let known = strings[text] {
            return ImageRecord.sameBytes(known, text) ? known : text
        }
        if strings.count < capacity { strings[text] = text }
        return text
    }
}
