import Foundation
import Testing

/// `sync` between two regions of one Keystone-backed cloud: `cloud:` locations, and glance-download so that
/// no byte of image data passes through this host.
extension KeystoneTests {
    @Test func syncBetweenRegionsOfOneCloudPullsServerSideAndThenHasNothingToDo() async throws {
        let fromA = UUID().uuidString.lowercased()
        let fromB = UUID().uuidString.lowercased()
        let dataA = Data((0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let dataB = Data((0..<900_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        try await cloud.seed("region-a", id: fromA, name: "sync-from-a", data: dataA)
        try await cloud.seed("region-b", id: fromB, name: "sync-from-b", data: dataB)
        let regions = ["cloud:replicator/region-a", "cloud:replicator/region-b"]
        let arguments = ["--visibility", "private", "--format", "json"]
        let run = try await CLIRunner.run(
            ["sync"] + regions + ["--transfer-mode", "glance-download"] + arguments,
            environment: environment
        )
        #expect(run.status == 0, "stderr: \(run.stderr.suffix(2000))")
        #expect(try run.json()["bytes_read"] as? Int == 0, "both regions pulled from each other")
        for (id, data) in [(fromA, dataA), (fromB, dataB)] {
            for region in ["region-a", "region-b"] {
                let copied = try await cloud.call(
                    "GET",
                    try cloud.root(region) + "/v2/images/\(id)/file",
                    expect: [200]
                )
                #expect(copied == data)
            }
        }
        expectNoSecrets(run.stdout + run.stderr)

        // The copies carry their origin's name: the next run sees one origin and one in_sync copy per image.
        let again = try await CLIRunner.run(["sync"] + regions + arguments, environment: environment)
        #expect(again.status == 0, "stderr: \(again.stderr.suffix(2000))")
        let images = try again.json()["images"] as? [[String: Any]] ?? []
        #expect(images.count == 2)
        for image in images {
            let states = (image["cells"] as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
            #expect(states.sorted() == ["in_sync", "origin"], "\(image["name"] ?? "")")
        }
    }
}
