import CatalogDiff
import Foundation
import Testing

@Suite("Decoding real Glance listings")
struct ImageRecordDecodingTests {
    @Test func decodesBaseFieldsAndCustomProperties() throws {
        let images = try Fixtures.listing("region-a-images")
        let cirros = try #require(images.first { $0.id == "11111111-1111-4111-8111-111111111111" })
        #expect(cirros.name == "cirros-public")
        #expect(cirros.status == "active")
        #expect(cirros.visibility == .public)
        #expect(cirros.minDisk == 1)
        #expect(cirros.minRam == 64)
        #expect(Set(cirros.tags) == ["base", "cirros"])
        #expect(cirros.size == 1000)
        #expect(cirros.checksum == "5c8b1bc1e2f8e20533a42628621e35a3")
        #expect(cirros.osHashAlgo == "sha512")
        #expect(cirros.osHashValue?.count == 128)
        #expect(cirros.owner == "admin")
        // Custom properties are top-level keys in Glance's JSON; base fields never leak into them.
        #expect(cirros.properties == ["os_distro": "cirros", "hw_disk_bus": "virtio"])
    }

    @Test func queuedImageHasNoData() throws {
        let images = try Fixtures.listing("region-a-images")
        let queued = try #require(images.first { $0.status == ImageStatus.queued })
        #expect(queued.size == nil)
        #expect(queued.checksum == nil)
        #expect(!queued.hasData)
    }

    @Test func hiddenListingHoldsOnlyHiddenImages() throws {
        let hidden = try Fixtures.listing("region-a-images-hidden")
        #expect(hidden.map(\.name) == ["hidden-img"])
        #expect(hidden.allSatisfy { $0.osHidden })
        let shown = try Fixtures.listing("region-a-images")
        #expect(!shown.contains { $0.osHidden })
    }

    @Test func protectedCommunityImage() throws {
        let images = try Fixtures.listing("region-a-images")
        let community = try #require(images.first { $0.visibility == .community })
        #expect(community.protected)
    }

    @Test func unknownVisibilityIsAnError() {
        let json = #"{"id": "x", "visibility": "galactic", "status": "active"}"#
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ImageRecord.self, from: Data(json.utf8))
        }
    }

    @Test func nonStringExtraValuesAreNotProperties() throws {
        let json =
            #"{"id": "x", "visibility": "public", "status": "active", "locations": [], "virtual_size": 5, "k": "v"}"#
        let image = try JSONDecoder().decode(ImageRecord.self, from: Data(json.utf8))
        #expect(image.properties == ["k": "v"])
    }
}

@Suite("Visibility lists")
struct VisibilityTests {
    @Test(arguments: [
        ("public,community", [Visibility.public, .community]),
        ("PUBLIC", [.public]),
        ("private, shared", [.private, .shared]),
        ("public,public", [.public]),
    ])
    func parses(text: String, expected: [Visibility]) throws {
        #expect(try Visibility.parseList(text) == Set(expected))
    }

    @Test(arguments: ["publc", "public,,community", "all", ""])
    func rejects(text: String) {
        #expect(throws: InvalidVisibility.self) { try Visibility.parseList(text) }
    }
}
