import CatalogDiff
import Testing

@Suite("Filters")
struct ImageFilterTests {
    let debian: ImageRecord = {
        var image = activeImage(
            "d1",
            name: "debian-12",
            size: 2_000,
            tags: ["base", "lts"],
            properties: ["os_distro": "debian"]
        )
        image.createdAt = "2026-11-20T10:00:00Z"
        return image
    }()

    @Test func emptyFilterLetsEverythingThrough() {
        #expect(ImageFilter().isEmpty)
        #expect(ImageFilter().matches(debian))
        #expect(ImageFilter().matches(ImageRecord(id: "no-name-no-size")))
    }

    @Test(arguments: [
        (ImageFilter(includeNames: [NameGlob("debian-*")!]), true),
        (ImageFilter(includeNames: [NameGlob("ubuntu-*")!, NameGlob("*-12")!]), true),
        (ImageFilter(includeNames: [NameGlob("ubuntu-*")!]), false),
        (ImageFilter(excludeNames: [NameGlob("*-12")!]), false),
        (ImageFilter(includeNames: [NameGlob("debian-*")!], excludeNames: [NameGlob("debian-1?")!]), false),
        (ImageFilter(tags: ["lts"]), true),
        (ImageFilter(tags: ["lts", "base"]), true),
        (ImageFilter(tags: ["lts", "gpu"]), false),
        (ImageFilter(properties: ["os_distro": "debian"]), true),
        (ImageFilter(properties: ["os_distro": "Debian"]), false),
        (ImageFilter(properties: ["os_distro": "debian", "hw_disk_bus": "virtio"]), false),
        (ImageFilter(minSize: 2_000), true),
        (ImageFilter(minSize: 2_001), false),
        (ImageFilter(maxSize: 2_000), true),
        (ImageFilter(maxSize: 1_999), false),
        (ImageFilter(createdSince: "2026-11-20T10:00:00Z"), true),
        (ImageFilter(createdSince: "2026-11-20T10:00:01Z"), false),
        (ImageFilter(createdSince: "2026-11-19T00:00:00Z"), true),
        (ImageFilter(imageIDs: ["d1", "other"]), true),
        (ImageFilter(imageIDs: ["other"]), false),
    ])
    func everyConditionMustHold(filter: ImageFilter, expected: Bool) {
        #expect(filter.matches(debian) == expected)
    }

    @Test func sizeAndDateBoundsExcludeImagesWithoutThem() {
        let empty = ImageRecord(id: "q", name: "debian-12", status: ImageStatus.queued)
        #expect(!ImageFilter(maxSize: 10).matches(empty))
        #expect(!ImageFilter(createdSince: "2000-01-01T00:00:00Z").matches(empty))
        #expect(ImageFilter(includeNames: [NameGlob("debian-*")!]).matches(empty))
    }

    @Test func filterAppliesToBothSidesOfAPlan() {
        let filter = ImageFilter(includeNames: [NameGlob("keep-*")!])
        let scope = ImageScope(filter: filter)
        let source = [activeImage("1", name: "keep-a"), activeImage("2", name: "drop-b")]
        let target = [activeImage("3", name: "keep-extra"), activeImage("4", name: "drop-extra")]
        let plan = CatalogPlan(source: source, target: target, scope: scope, rules: FieldRules())
        #expect(Set(plan.images.map(\.id)) == ["1", "3"])
        #expect(plan.images.first { $0.id == "3" }?.state == .extra)
    }
}
