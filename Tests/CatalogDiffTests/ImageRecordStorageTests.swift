import Testing

@testable import CatalogDiff

@Suite("Image records: one shared storage, copied on write")
struct ImageRecordStorageTests {
    @Test func aCopyIsTheSameStorageUntilOneChanges() {
        let original = SharedRecordsTests.record()
        var copy = original
        #expect(copy.sharesStorage(with: original))
        copy.tags.append("gpu")
        copy.properties["os_distro"] = "fedora"
        copy.size = 1
        #expect(!copy.sharesStorage(with: original))
        #expect(original == SharedRecordsTests.record())
        #expect(original.tags.count == 2)
        #expect(original.properties["os_distro"]?.hasPrefix("debian") == true)
        #expect(original.size == 4096)
        #expect(copy.tags.last == "gpu" && copy.properties["os_distro"] == "fedora" && copy.size == 1)
    }

    @Test func equalityAndHashingAreOfTheFields() {
        let a = SharedRecordsTests.record()
        let b = SharedRecordsTests.record()
        #expect(!a.sharesStorage(with: b))
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b]).count == 1)
        var c = b
        c.invalidity = RecordInvalidity(kind: .id, description: "test")
        #expect(c != b)
        c.invalidity = nil
        #expect(c == b)
    }

    /// Records changed on every core, each from a copy of one shared record: no change reaches another.
    @Test func copiesChangedConcurrentlyStayApart() {
        let shared = SharedRecordsTests.record()
        let changed = Parallel.map(20_000) { index -> ImageRecord in
            var record = shared
            record.name = "image-\(index)"
            record.properties["build_id"] = String(index)
            return record
        }
        #expect(shared.name == "debian-12-generic-amd64")
        #expect(shared.properties["build_id"] == nil)
        for (index, record) in changed.enumerated() {
            #expect(record.name == "image-\(index)" && record.properties["build_id"] == String(index))
        }
    }

    /// What the memory of a large diff rests on: a record is one reference, and a plan (which holds two)
    /// a few words, not two copies of the fields.
    @Test func recordsAndPlansAreSmall() {
        #expect(MemoryLayout<ImageRecord>.size == MemoryLayout<Int>.size)
        #expect(MemoryLayout<ImageRecord?>.size == MemoryLayout<Int>.size)
        #expect(MemoryLayout<ImagePlan>.stride <= 96)
    }
}
