import Testing

@testable import CatalogDiff

@Suite("Records sharing the storage of another catalog's")
struct SharedRecordsTests {
    static func record(
        name: String = "debian-12-generic-amd64",
        property: (String, String) = ("os_distro", "debian")
    )
        -> ImageRecord
    {
        // Every string is built at run time, so that two records never share a literal's storage.
        let tail = String(Int.random(in: 0..<1) + 575)
        return ImageRecord(
            id: "0a91777c-912a-41ea-ad34-\(tail)cd2e2981f",
            name: name + "",
            tags: ["long-term-support-\(tail)", "base"],
            size: 4096,
            checksum: "d41d8cd98f00b204e9800998ecf8\(tail)e",
            osHashAlgo: "sha512",
            osHashValue: String(repeating: "c\(tail)", count: 32),
            owner: "0f2ab1c4d3e24f6b8a9c7d6e5f4a3b2\(tail)",
            createdAt: "2026-11-29T12:00:00Z-\(tail)",
            properties: [property.0 + "": property.1 + "-\(tail)", "hw_disk_bus": "virtio-scsi-\(tail)"]
        )
    }

    /// Where a string's bytes are held (nil for a small string kept inline).
    static func storage(_ text: String?) -> UnsafeRawPointer? {
        guard var text, text.utf8.count > 15 else { return nil }
        return text.withUTF8 { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func equalValuesTakeTheListedRecordsStorage() throws {
        let source = Self.record()
        let target = Self.record()
        #expect(Self.storage(target.id) != Self.storage(source.id))
        let shared = SharedRecords([source]).sharing(target)
        #expect(shared == target)
        #expect(Self.storage(shared.id) == Self.storage(source.id))
        let fields: [KeyPath<ImageRecord, String?>] = [\.checksum, \.osHashValue, \.owner, \.createdAt]
        for field in fields {
            #expect(Self.storage(shared[keyPath: field]) == Self.storage(source[keyPath: field]))
        }
        let sharedTag = try #require(shared.tags.first)
        #expect(Self.storage(sharedTag) == Self.storage(source.tags.first))
        #expect(Self.storage(shared.properties["hw_disk_bus"]) == Self.storage(source.properties["hw_disk_bus"]))
    }

    /// A target record in sync with its source is a reference to the source's fields, nothing more.
    @Test func aRecordWhollyTheSameTakesTheWholeStorage() {
        var source = Self.record()
        source.stores = ["file"]
        var target = Self.record()
        target.stores = ["fi" + "le"]
        #expect(!target.sharesStorage(with: source))
        var shared = SharedRecords([source]).sharing(target)
        #expect(shared == target)
        #expect(shared.sharesStorage(with: source))
        // Changing it afterwards changes that record alone.
        shared.name = "renamed"
        #expect(!shared.sharesStorage(with: source))
        #expect(source.name == "debian-12-generic-amd64")
    }

    /// Any field apart, however small, and the record keeps storage of its own (sharing what it can).
    @Test(arguments: [
        "protected", "osHidden", "minDisk", "size", "visibility", "tags", "stores", "invalidity", "createdAt",
    ])
    func oneFieldApartKeepsItsOwnStorage(field: String) {
        let source = Self.record()
        var target = Self.record()
        switch field {
        case "protected": target.protected = true
        case "osHidden": target.osHidden = true
        case "minDisk": target.minDisk = 1
        case "size": target.size = 4097
        case "visibility": target.visibility = .community
        case "tags": target.tags.append("gpu")
        case "stores": target.stores = ["file"]
        case "invalidity": target.invalidity = RecordInvalidity(kind: .size, description: "test")
        default: target.createdAt = nil
        }
        let shared = SharedRecords([source]).sharing(target)
        #expect(shared == target)
        #expect(shared != source)
        #expect(!shared.sharesStorage(with: source))
        #expect(Self.storage(shared.checksum) == Self.storage(source.checksum))
    }

    @Test func differentValuesKeepTheirOwn() {
        let source = Self.record()
        var target = Self.record()
        target.osHashValue = String(repeating: "d", count: 128)
        target.properties["os_distro"] = "fedora-release-41"
        let shared = SharedRecords([source]).sharing(target)
        #expect(shared == target)
        #expect(Self.storage(shared.osHashValue) == Self.storage(target.osHashValue))
        #expect(shared.properties == target.properties)
        #expect(Self.storage(shared.checksum) == Self.storage(source.checksum))
    }

    /// `String`'s `==` takes canonically equivalent strings as equal; a value is only replaced by the very
    /// same bytes, so what a report or a request carries of a record is never another spelling of it.
    @Test(arguments: [
        ("caf\u{e9}-long-image-name", "cafe\u{301}-long-image-name"),
        ("cafe\u{301}-long-image-name", "caf\u{e9}-long-image-name"),
    ])
    func canonicallyEquivalentSpellingsAreNotShared(source sourceName: String, target targetName: String) {
        #expect(sourceName == targetName)
        let source = Self.record(name: sourceName, property: (sourceName, "value"))
        let target = Self.record(name: targetName, property: (targetName, "value"))
        let shared = SharedRecords([source]).sharing(target)
        #expect(Array(shared.name!.utf8) == Array(targetName.utf8))
        #expect(shared.properties.keys.contains { Array($0.utf8) == Array(targetName.utf8) })
        #expect(!shared.properties.keys.contains { Array($0.utf8) == Array(sourceName.utf8) })
        #expect(!shared.sharesStorage(with: source))
    }

    @Test func aRecordTheListingLacksIsItself() {
        let target = Self.record()
        var other = Self.record()
        other.id = "11111111-2222-4333-8444-555555555555"
        let shared = SharedRecords([other]).sharing(target)
        #expect(shared == target)
        #expect(Self.storage(shared.checksum) == Self.storage(target.checksum))
        #expect(SharedRecords([]).sharing(target) == target)
    }
}

@Suite("Interning the values records repeat")
struct RecordInternerTests {
    @Test func repeatedListsAndOwnersAreHeldOnce() throws {
        var interner = RecordInterner()
        var first = SharedRecordsTests.record()
        var second = SharedRecordsTests.record()
        first.stores = ["ceph-pool-" + "fast", "file"]
        second.stores = ["ceph-pool-" + "fast", "file"]
        let before = second
        interner.intern(&first)
        interner.intern(&second)
        #expect(second == before)
        #expect(SharedRecordsTests.storage(second.owner) == SharedRecordsTests.storage(first.owner))
        #expect(
            second.tags.withUnsafeBufferPointer { $0.baseAddress }
                == first.tags.withUnsafeBufferPointer { $0.baseAddress }
        )
        #expect(
            second.stores.withUnsafeBufferPointer { $0.baseAddress }
                == first.stores.withUnsafeBufferPointer { $0.baseAddress }
        )
    }

    @Test func equivalentSpellingsStayApart() {
        var interner = RecordInterner()
        var first = SharedRecordsTests.record()
        var second = SharedRecordsTests.record()
        first.tags = ["caf\u{e9}"]
        second.tags = ["cafe\u{301}"]
        first.owner = "project-caf\u{e9}-0123456789"
        second.owner = "project-cafe\u{301}-0123456789"
        interner.intern(&first)
        interner.intern(&second)
        #expect(second.tags.map { Array($0.utf8) } == [Array("cafe\u{301}".utf8)])
        #expect(Array(second.owner!.utf8) == Array("project-cafe\u{301}-0123456789".utf8))
    }

    @Test func aFullTableInternsNoMore() {
        var interner = RecordInterner(capacity: 1)
        var records = (0..<3).map { index -> ImageRecord in
            var record = SharedRecordsTests.record()
            record.tags = ["tag-\(index % 2)"]
            return record
        }
        for index in records.indices { interner.intern(&records[index]) }
        #expect(records.map(\.tags) == [["tag-0"], ["tag-1"], ["tag-0"]])
        let storage = records.map { $0.tags.withUnsafeBufferPointer { $0.baseAddress } }
        #expect(storage[2] == storage[0])
        #expect(storage[1] != storage[0])
    }
}
