import Foundation
import Testing

/// Copies to and from Glance 19.0.4 (Train, image API v2.9), the oldest release on PyPI that still runs on
/// Python 3.11, started by `scripts/test` beside the Glance 33 regions. Nested in the serialized suite because
/// it shares region A and B.
extension ReplicationTests {
    @Suite(
        "An older Glance (19.0.4, API v2.9) on either side",
        .serialized,
        .needsServers("GLANCE_OLD_URL")
    )
    struct OldGlanceTests {
        let a: GlanceTestClient
        let b: GlanceTestClient
        let old: GlanceTestClient

        init() async throws {
            (a, b) = try await RealRegions.emptiedAB()
            old = GlanceTestClient(try #require(ProcessInfo.processInfo.environment["GLANCE_OLD_URL"]))
            try await old.wipe()
        }

        @Test func imagesGoToTheOldReleaseAndBackVerified() async throws {
            let id = newID()
            let data = randomData(3_000_123)
            try await a.seed(
                id,
                data: data,
                ["name": "to-train", "visibility": "public", "os_distro": "debian", "tags": ["lts"]]
            )
            let there = try await CLIRunner.run(["replicate", a.root, old.root, "--format", "json"])
            #expect(there.status == 0, "stderr: \(there.stderr)")
            #expect(try await old.data(id) == data)
            let copy = try #require(try await old.image(id))
            #expect(copy["os_distro"] as? String == "debian")
            #expect(copy["os_hash_algo"] as? String == "sha512", "Train records the multihash the copy is checked by")
            #expect(try await CLIRunner.run(["compare", a.root, old.root]).status == 0)

            let back = try await CLIRunner.run(["replicate", old.root, b.root, "--format", "json"])
            #expect(back.status == 0, "stderr: \(back.stderr)")
            #expect(try await b.data(id) == data)
            #expect(try await CLIRunner.run(["compare", old.root, b.root]).status == 0)
        }
    }
}
