import CatalogDiff
import Testing

@testable import OpenStackAPI

/// Member ids come from a server's listing and end up as the last segment of a DELETE's URL.
@Suite("Member ids in URLs")
struct MemberPathTests {
    /// `/members/..` resolved by a proxy on the path is the image itself: a DELETE there would delete the image.
    @Test(arguments: ["", ".", "..", "..."])
    func anEmptyOrDotOnlyMemberIdIsNeverSent(_ project: String) {
        #expect(throws: ReplicatorError.self) { try GlanceClient.memberSegment(project) }
    }

    @Test(arguments: [
        ("9e01bb4f6a6d4f0c8c1d7b3f5a2e6c10", "9e01bb4f6a6d4f0c8c1d7b3f5a2e6c10"),
        ("../x", "..%2Fx"), ("a/b?c#d", "a%2Fb%3Fc%23d"), ("p.1", "p.1"),
    ])
    func otherIdsAreOneSegment(_ project: String, expected: String) throws {
        #expect(try GlanceClient.memberSegment(project) == expected)
    }
}
