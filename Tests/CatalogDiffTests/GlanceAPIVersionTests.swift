import CatalogDiff
import Foundation
import Testing

@Suite("Glance API versions")
struct GlanceAPIVersionTests {
    @Test func realGlance33SpeaksV217WithEverything() throws {
        let data = try Fixtures.data("versions-glance-33.json")
        let version = try #require(GlanceAPIVersion(versionsDocument: data))
        #expect(version == GlanceAPIVersion(major: 2, minor: 17))
        #expect(version.limitations.isEmpty)
    }

    @Test(arguments: [
        (5, false, false, false), (6, true, false, false), (7, true, true, false), (8, true, true, true),
    ])
    func olderReleasesLackFeatures(minor: Int, hasImport: Bool, hasMultihash: Bool, hasStores: Bool) throws {
        let document =
            #"{"versions": [{"id": "v2.\#(minor)", "status": "CURRENT"}, {"id": "v2.1", "status": "SUPPORTED"}, {"id": "v3.0", "status": "EXPERIMENTAL"}]}"#
        let version = try #require(GlanceAPIVersion(versionsDocument: Data(document.utf8)))
        #expect(version == GlanceAPIVersion(major: 2, minor: minor))
        #expect(version.hasImport == hasImport)
        #expect(version.hasMultihash == hasMultihash)
        #expect(version.hasStores == hasStores)
        #expect(version.limitations.isEmpty == (hasImport && hasMultihash && hasStores))
    }

    @Test(arguments: ["", "{}", #"{"versions": []}"#, #"{"versions": [{"id": "latest"}]}"#])
    func unusableDocuments(text: String) {
        #expect(GlanceAPIVersion(versionsDocument: Data(text.utf8)) == nil)
    }
}
