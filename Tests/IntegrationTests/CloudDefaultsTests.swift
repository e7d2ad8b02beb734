import Foundation
import Testing

/// `cloud:` without the cloud's name, as openstack CLI users write it with OS_CLOUD and OS_REGION_NAME
/// exported, against the real Keystone and its two Glance regions.
@Suite(
    "OS_CLOUD and OS_REGION_NAME name cloud: locations",
    .serialized,
    .needs("no Keystone: run scripts/test (KEYSTONE_CLOUDS_YAML)") { KeystoneCloud.present }
)
struct CloudDefaultsTests {
    let cloud: KeystoneCloud
    let environment: [String: String]

    init() async throws {
        cloud = try await KeystoneCloud.login()
        try await cloud.wipe("region-a")
        try await cloud.wipe("region-b")
        environment = [
            "OS_CLIENT_CONFIG_FILE": try #require(KeystoneCloud.cloudsFile), "OS_CLOUD": "replicator",
            "OS_REGION_NAME": "region-a", "OS_AUTH_TOKEN": "",
        ]
    }

    @Test func bareCloudIsOSCloudInOSRegionName() async throws {
        let id = UUID().uuidString.lowercased()
        try await cloud.seed("region-a", id: id, name: "os-cloud", data: Data(repeating: 5, count: 50_000))
        let arguments = ["--visibility", "private", "--format", "json"]
        let result = try await CLIRunner.run(
            ["replicate", "cloud:", "cloud:/region-b"] + arguments,
            environment: environment
        )
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(2000))")
        #expect(try await cloud.imageIDs("region-b") == [id])
        #expect(try result.json()["source"] as? String == (try cloud.root("region-a")))
        let compare = try await CLIRunner.run(
            ["compare", "cloud:replicator", "cloud:/region-b"] + arguments,
            environment: environment
        )
        #expect(compare.status == 0, "stderr: \(compare.stderr)")
    }

    @Test func bareCloudWithoutOSCloudIsAUsageError() async throws {
        var environment = environment
        environment["OS_CLOUD"] = ""
        let result = try await CLIRunner.run(["size", "cloud:/region-a"], environment: environment)
        #expect(result.status == 2)
        #expect(result.stderr.contains("OS_CLOUD is not set"), "\(result.stderr)")
    }

    /// The old tool's `--sourcetoken`/`--targettoken` (`--source-token`/`--target-token`): each side gets its
    /// own token and no other. Keystone-backed regions refuse a wrong token, so which one failed shows where
    /// each token went.
    @Test func oldSideTokensGoToTheirOwnSide() async throws {
        let id = UUID().uuidString.lowercased()
        try await cloud.seed("region-a", id: id, name: "side-tokens", data: Data(repeating: 9, count: 20_000))
        let (_, first, _) = try await KeystoneCloud.issue(user: cloud.user, password: cloud.password)
        let (_, second, _) = try await KeystoneCloud.issue(user: cloud.user, password: cloud.password)
        let sourceRoot = try cloud.root("region-a")
        let targetRoot = try cloud.root("region-b")
        let source = String(sourceRoot.dropFirst("http://".count))
        let target = String(targetRoot.dropFirst("http://".count))
        let environment = ["OS_AUTH_TOKEN": "", "OS_CLOUD": ""]
        let scope = ["--visibility", "private"]

        let wrongTarget = try await CLIRunner.run(
            ["livecopy", "--sourcetoken", first, "--targettoken", "not-a-token", source, target] + scope,
            environment: environment
        )
        #expect(wrongTarget.status == 4, "\(wrongTarget.stderr)")
        #expect(wrongTarget.stderr.contains(targetRoot), "\(wrongTarget.stderr)")
        let wrongSource = try await CLIRunner.run(
            ["livecopy", "-M", "not-a-token", "-S", first, source, target] + scope,
            environment: environment
        )
        #expect(wrongSource.status == 4, "\(wrongSource.stderr)")
        #expect(wrongSource.stderr.contains(sourceRoot), "\(wrongSource.stderr)")
        #expect(try await cloud.imageIDs("region-b").isEmpty)

        let copied = try await CLIRunner.run(
            ["livecopy", "--mastertoken", first, "--slavetoken", second, source, target] + scope,
            environment: environment
        )
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(try await cloud.imageIDs("region-b") == [id])
        for text in [wrongTarget, wrongSource, copied].map({ $0.stdout + $0.stderr }) {
            #expect(!text.contains(first) && !text.contains(second), "a token is printed")
        }
    }
}
