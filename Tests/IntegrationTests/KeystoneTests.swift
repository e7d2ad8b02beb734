import Foundation
import Testing

/// `cloud:` locations against a real Keystone 30 and two Glance regions behind keystonemiddleware, through
/// the built binary with the clouds.yaml `scripts/keystone` writes (OS_CLIENT_CONFIG_FILE).
@Suite(
    "Clouds of clouds.yaml with a real Keystone",
    .serialized,
    .needs("no Keystone: run scripts/test (KEYSTONE_CLOUDS_YAML)") { KeystoneCloud.present }
)
struct KeystoneTests {
    let cloud: KeystoneCloud
    let environment: [String: String]

    init() async throws {
        cloud = try await KeystoneCloud.login()
        try await cloud.wipe("region-a")
        try await cloud.wipe("region-b")
        environment = [
            "OS_CLIENT_CONFIG_FILE": try #require(KeystoneCloud.cloudsFile), "OS_CLOUD": "", "OS_AUTH_TOKEN": "",
        ]
    }

    /// Every secret of clouds.yaml and every fernet token (they start with gAAAA) is absent from `text`.
    func expectNoSecrets(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in KeystoneCloud.secrets + ["gAAAA"] {
            #expect(
                !text.contains(secret),
                "output shows a secret (\(secret.prefix(5))...)",
                sourceLocation: sourceLocation
            )
        }
    }

    @Test(arguments: ["replicator", "replicator-appcred"])
    func replicatesBetweenTwoRegionsOfOneCloud(_ name: String) async throws {
        let id = UUID().uuidString.lowercased()
        try await cloud.seed("region-a", id: id, name: "kc-\(name)", data: Data(repeating: 7, count: 100_000))
        let source = "cloud:\(name)/region-a"
        let target = "cloud:\(name)/region-b"
        let arguments = ["--visibility", "private", "--format", "json"]
        let result = try await CLIRunner.run(["replicate", source, target, "-v"] + arguments, environment: environment)
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(2000))")
        #expect(try await cloud.imageIDs("region-b") == [id])
        // The Glance URLs come from the catalog; the report names them.
        let report = try result.json()
        #expect(report["source"] as? String == (try cloud.root("region-a")))
        expectNoSecrets(result.stdout + result.stderr)
        let compare = try await CLIRunner.run(["compare", source, target] + arguments, environment: environment)
        #expect(compare.status == 0, "stderr: \(compare.stderr)")
    }

    /// `--bwlimit TARGET=RATE` names a `cloud:` target as it is written: its uploads are paced, and a limit
    /// naming a region that is not a target is refused before anything is done.
    @Test func aCloudTargetsBandwidthLimitPacesItsUploads() async throws {
        let id = UUID().uuidString.lowercased()
        let data = Data((0..<600_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try await cloud.seed("region-a", id: id, name: "kc-paced", data: data)
        let copy = ["replicate", "cloud:replicator/region-a", "cloud:replicator/region-b", "--visibility", "private"]
        let refused = try await CLIRunner.run(
            copy + ["--bwlimit", "cloud:replicator/region-c=1M"],
            environment: environment
        )
        #expect(refused.status == 2, "stderr: \(refused.stderr)")
        #expect(refused.stderr.contains("--bwlimit names cloud:replicator/region-c, which is not one of the targets"))
        #expect(try await cloud.imageIDs("region-b").isEmpty)

        let started = ContinuousClock.now
        let paced = try await CLIRunner.run(
            copy + ["--bwlimit", "cloud:replicator/region-b=128K"],
            environment: environment
        )
        let elapsed = ContinuousClock.now - started
        #expect(paced.status == 0, "stderr: \(paced.stderr.suffix(2000))")
        // 600 000 bytes at 128 KiB/s: over 4 s.
        #expect(elapsed >= .milliseconds(3500), "took \(elapsed)")
        let copied = try await cloud.call("GET", try cloud.root("region-b") + "/v2/images/\(id)/file", expect: [200])
        #expect(copied == data)
    }

    @Test(arguments: ["glance-download", "auto"])
    func glanceDownloadCopiesWithoutTheDataPassingThroughThisHost(_ mode: String) async throws {
        let id = UUID().uuidString.lowercased()
        let data = Data((0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ mode.count) })
        try await cloud.seed("region-a", id: id, name: "gd-\(mode)", data: data)
        // A property glance-download does not carry over (it copies only a few prefixes): applied afterwards.
        try await cloud.call(
            "PATCH",
            try cloud.root("region-a") + "/v2/images/\(id)",
            body: JSONSerialization.data(withJSONObject: [["op": "add", "path": "/build_host", "value": "ci-7"]]),
            contentType: "application/openstack-images-v2.1-json-patch",
            expect: [200]
        )
        let result = try await CLIRunner.run(
            [
                "replicate", "cloud:replicator/region-a", "cloud:replicator/region-b", "--visibility", "private",
                "--transfer-mode", mode, "--format", "json",
            ],
            environment: environment
        )
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(2000))")
        // Counted at the source, not by the tool: region-a's own access log has one download of the image, the
        // target region's pull; the tool would have added a second.
        let downloads = try Self.requestsLogged(by: "region-a").filter { $0 == "GET /v2/images/\(id)/file" }
        #expect(downloads.count == 1, "region-a served the image \(downloads.count) times")
        #expect(try result.json()["bytes_read"] as? Int == 0, "no byte of the image was read by the tool")
        let copied = try await cloud.call("GET", try cloud.root("region-b") + "/v2/images/\(id)/file", expect: [200])
        #expect(copied == data)
        let record =
            try JSONSerialization.jsonObject(
                with: try await cloud.call("GET", try cloud.root("region-b") + "/v2/images/\(id)", expect: [200])
            ) as? [String: Any]
        #expect(record?["build_host"] as? String == "ci-7")
        let compare = try await CLIRunner.run(
            ["compare", "cloud:replicator/region-a", "cloud:replicator/region-b", "--visibility", "private"],
            environment: environment
        )
        #expect(compare.status == 0, "stdout: \(compare.stdout.suffix(1500))")
    }

    @Test func glanceDownloadNeedsTwoRegionsOfOneCloud() async throws {
        let result = try await CLIRunner.run(
            [
                "replicate", "cloud:replicator/region-a", try cloud.root("region-b"), "--transfer-mode",
                "glance-download",
            ],
            environment: environment
        )
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("two regions of one cloud"), "\(result.stderr)")
    }

    /// `scripts/test` runs Keystone with KEYSTONE_TOKEN_EXPIRATION=20: a copy slowed to ~30 s by --bwlimit
    /// outlives the token it started with, and the requests after it carry a renewed one.
    /// The requests a Keystone-backed region's uWSGI logged ("METHOD PATH"), from the regions' home that
    /// `scripts/test` keeps under KEYSTONE_TEST_HOME.
    static func requestsLogged(by region: String) throws -> [String] {
        let home = try #require(ProcessInfo.processInfo.environment["KEYSTONE_TEST_HOME"], "KEYSTONE_TEST_HOME")
        let log = try String(contentsOfFile: "\(home)/glance/regions/\(region)/log/uwsgi.log", encoding: .utf8)
        return log.split(separator: "\n").compactMap { line in
            guard let end = line.range(of: " => generated"),
                let start = line[..<end.lowerBound].range(of: "] ", options: .backwards)
            else { return nil }
            return String(line[start.upperBound..<end.lowerBound])
        }
    }

    static var tokenLifetime: Int {
        Int(ProcessInfo.processInfo.environment["KEYSTONE_TOKEN_EXPIRATION"] ?? "") ?? 3600
    }

    @Test(.needs("KEYSTONE_TOKEN_EXPIRATION is over 30 s") { tokenLifetime <= 30 })
    func runLongerThanATokensLifeCompletes() async throws {
        let lifetime = Self.tokenLifetime
        try #require(lifetime <= 30, "KEYSTONE_TOKEN_EXPIRATION is \(lifetime) s: the run would not outlive a token")
        let id = UUID().uuidString.lowercased()
        let size = 64 * 1024 * (lifetime + 10)
        try await cloud.seed("region-a", id: id, name: "kc-long", data: Data(repeating: 3, count: size))
        let started = ContinuousClock.now
        let result = try await CLIRunner.run(
            [
                "replicate", "cloud:replicator/region-a", "cloud:replicator/region-b", "--visibility", "private",
                "--bwlimit", "64K", "-v",
            ],
            environment: environment
        )
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(3000))")
        #expect(ContinuousClock.now - started > .seconds(lifetime), "the run must outlive the first token")
        #expect(try await cloud.imageIDs("region-b") == [id])
        // The provider renewed the token (the first was issued with reason "first").
        #expect(result.stderr.contains("reason=expiring"), "stderr: \(result.stderr.suffix(3000))")
        expectNoSecrets(result.stdout + result.stderr)
    }

    /// Four copies at once share the cloud's token while it expires: the run outlives it, the token is renewed
    /// once for all of them, and every copy lands.
    @Test(.needs("KEYSTONE_TOKEN_EXPIRATION is over 30 s") { tokenLifetime <= 30 })
    func severalTransfersOutliveTheirTokenTogether() async throws {
        let lifetime = Self.tokenLifetime
        try #require(lifetime <= 30, "KEYSTONE_TOKEN_EXPIRATION is \(lifetime) s: the run would not outlive a token")
        // 256 KiB/s for the whole run, four images: about lifetime + 10 s in all, all four under way at once.
        let size = 64 * 1024 * (lifetime + 10)
        var images: [(String, Data)] = []
        for index in 0..<4 {
            let id = UUID().uuidString.lowercased()
            let data = Data(repeating: UInt8(index + 1), count: size)
            try await cloud.seed("region-a", id: id, name: "kc-four-\(index)", data: data)
            images.append((id, data))
        }
        let started = ContinuousClock.now
        let result = try await CLIRunner.run(
            [
                "replicate", "cloud:replicator/region-a", "cloud:replicator/region-b", "--visibility", "private",
                "--bwlimit", "256K", "--concurrency", "4", "-v", "--log-format", "json", "--format", "json",
            ],
            environment: environment
        )
        #expect(result.status == 0, "stderr: \(result.stderr.suffix(3000))")
        #expect(ContinuousClock.now - started > .seconds(lifetime), "the run must outlive the first token")
        #expect(Set(try await cloud.imageIDs("region-b")) == Set(images.map(\.0)))
        for (id, data) in images {
            let copied = try await cloud.call(
                "GET",
                try cloud.root("region-b") + "/v2/images/\(id)/file",
                expect: [200]
            )
            #expect(copied == data)
        }
        let renewals = result.stderr.split(separator: "\n").filter { $0.contains("expiring") }
        #expect(!renewals.isEmpty, "no renewal logged: \(result.stderr.suffix(3000))")
        expectNoSecrets(result.stdout + result.stderr)
    }

    @Test func twoCloudsWithTwoLoginsWork() async throws {
        let id = UUID().uuidString.lowercased()
        try await cloud.seed("region-a", id: id, name: "kc-two", data: Data(repeating: 1, count: 1000))
        let result = try await CLIRunner.run(
            ["replicate", "cloud:replicator-appcred/region-a", "cloud:replicator/region-b", "--visibility", "private"],
            environment: environment
        )
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try await cloud.imageIDs("region-b") == [id])
    }

    @Test func wrongPasswordExitsFourWithOneLine() async throws {
        var environment = environment
        environment["OS_CLOUD"] = "replicator"
        environment["OS_PASSWORD"] = "not-the-password-xyzzy"
        let result = try await CLIRunner.run(
            ["compare", "cloud:replicator/region-a", "cloud:replicator/region-b", "-v"],
            environment: environment
        )
        #expect(result.status == 4, "stderr: \(result.stderr)")
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("glance-replicator: error:") }
        #expect(errors.count == 1)
        #expect(
            errors.first?.contains("refused the credentials of cloud replicator (HTTP 401)") == true,
            "\(result.stderr)"
        )
        #expect(!result.stderr.contains("not-the-password-xyzzy"))
        expectNoSecrets(result.stdout + result.stderr)
    }

    @Test(arguments: [
        (
            ["compare", "cloud:replicator/region-z", "cloud:replicator/region-b"], 4,
            "cloud replicator has no region region-z"
        ),
        (["compare", "cloud:replicator", "cloud:replicator/region-b"], 2, "name one as cloud:replicator/REGION"),
        (["compare", "cloud:nowhere/region-a", "cloud:replicator/region-b"], 2, "cloud 'nowhere' is not in"),
    ])
    func unusableCloudLocationsSayWhich(_ arguments: [String], _ status: Int32, _ message: String) async throws {
        let result = try await CLIRunner.run(arguments, environment: environment)
        #expect(result.status == status, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
    }

    @Test func insecureIsWarnedAboutAndAMissingCACertRefused() async throws {
        var insecure = environment
        insecure["OS_INSECURE"] = "true"
        let warned = try await CLIRunner.run(
            ["compare", "cloud:replicator/region-a", "cloud:replicator/region-b"],
            environment: insecure
        )
        #expect(warned.status == 0, "stderr: \(warned.stderr)")
        #expect(warned.stderr.contains("TLS certificates are not verified"), "stderr: \(warned.stderr)")
        let quiet = try await CLIRunner.run(
            ["compare", "cloud:replicator/region-a", "cloud:replicator/region-b"],
            environment: environment
        )
        #expect(!quiet.stderr.contains("TLS certificates are not verified"), "stderr: \(quiet.stderr)")
        var missing = environment
        missing["OS_CACERT"] = "/nonexistent/ca.pem"
        let refused = try await CLIRunner.run(
            ["compare", "cloud:replicator/region-a", "cloud:replicator/region-b"],
            environment: missing
        )
        #expect(refused.status == 2, "stderr: \(refused.stderr)")
        #expect(
            refused.stderr
                == "glance-replicator: error: cacert /nonexistent/ca.pem: no such readable file (cacert or OS_CACERT)\n"
        )
    }

    /// With the member role Glance refuses to make an image public (403 publicize_image): that image fails
    /// with a line naming the admin role, the private one is copied, and the admin cloud copies both.
    @Test func imageTheRoleCannotPublishIsReportedWithTheRole() async throws {
        let publicID = UUID().uuidString.lowercased()
        let privateID = UUID().uuidString.lowercased()
        try await cloud.seed(
            "region-a",
            id: publicID,
            name: "kc-pub",
            data: Data(repeating: 9, count: 100),
            visibility: "public"
        )
        try await cloud.seed("region-a", id: privateID, name: "kc-priv", data: Data(count: 100))
        let arguments = ["--visibility", "public,private", "--format", "json"]
        let member = try await CLIRunner.run(
            ["replicate", "cloud:replicator/region-a", "cloud:replicator/region-b"] + arguments,
            environment: environment
        )
        #expect(member.status == 3, "stderr: \(member.stderr)")
        #expect(
            member.stdout.contains("allows publicize_image to the admin role only, which the credentials lack"),
            "stdout: \(member.stdout.prefix(3000))"
        )
        #expect(try await cloud.imageIDs("region-b").contains(privateID))
        let admin = try await CLIRunner.run(
            ["replicate", "cloud:replicator-admin/region-a", "cloud:replicator-admin/region-b"] + arguments,
            environment: environment
        )
        #expect(admin.status == 0, "stderr: \(admin.stderr) stdout: \(admin.stdout.prefix(3000))")
        #expect(Set(try await cloud.imageIDs("region-b")).isSuperset(of: [publicID, privateID]))
    }

    /// --preserve-owner: the admin cloud keeps another project's owner; the member cloud's copies belong to
    /// the replicating project, and the report says so.
    @Test func preserveOwnerNeedsTheAdminRole() async throws {
        let foreignID = UUID().uuidString.lowercased()
        try await cloud.seed(
            "region-a",
            id: foreignID,
            name: "kc-foreign",
            data: Data(repeating: 5, count: 100),
            owner: "other-project"
        )
        let admin = try await CLIRunner.run(
            [
                "replicate", "cloud:replicator-admin/region-a", "cloud:replicator-admin/region-b", "--visibility",
                "private", "--preserve-owner", "--format", "json",
            ],
            environment: environment
        )
        #expect(admin.status == 0, "stderr: \(admin.stderr) stdout: \(admin.stdout.prefix(2000))")
        let adminTarget = (try admin.json()["targets"] as? [[String: Any]])?.first
        #expect(adminTarget?["owner"] as? String == "preserved")
        #expect(try await cloud.owner("region-b", foreignID) == "other-project")

        let ownID = UUID().uuidString.lowercased()
        try await cloud.seed("region-a", id: ownID, name: "kc-own", data: Data(repeating: 6, count: 100))
        let member = try await CLIRunner.run(
            [
                "replicate", "cloud:replicator/region-a", "cloud:replicator/region-b", "--visibility", "private",
                "--preserve-owner",
            ],
            environment: environment
        )
        #expect(member.status == 0, "stderr: \(member.stderr) stdout: \(member.stdout.prefix(2000))")
        #expect(
            member.stdout.contains(
                "owner: new copies are owned by the replicating project (keeping the source's owner needs the admin role)"
            )
        )
        #expect(try await cloud.owner("region-b", ownID) == cloud.owner("region-a", ownID))
    }

    /// `sync --preserve-owner --members`: copies made in each direction keep their origin's owner (admin
    /// credentials) and get the origin's members; a copy's own member never travels back to the origin and is
    /// removed only with --prune-members; without the admin role the report says who owns the copies.
    @Test func syncKeepsTheOriginsOwnerAndMembers() async throws {
        let fromA = UUID().uuidString.lowercased()
        let fromB = UUID().uuidString.lowercased()
        try await cloud.seed(
            "region-a",
            id: fromA,
            name: "ks-shared",
            data: Data(repeating: 3, count: 100),
            visibility: "shared",
            owner: "project-a"
        )
        try await cloud.seed("region-b", id: fromB, name: "ks-private", data: Data(count: 100), owner: "project-b")
        for member in ["partner-1", "partner-2"] { try await cloud.addMember(member, to: fromA, in: "region-a") }
        let sync = [
            "sync", "cloud:replicator-admin/region-a", "cloud:replicator-admin/region-b", "--visibility",
            "shared,private", "--preserve-owner", "--members", "--format", "json",
        ]
        let dry = try await CLIRunner.run(sync + ["--dry-run"], environment: environment)
        #expect(dry.status == 1, "stderr: \(dry.stderr) stdout: \(dry.stdout.prefix(2000))")
        let planned = try #require(try dry.json()["regions"] as? [[String: Any]])
        #expect((planned[1]["members"] as? [String: Any])?["missing"] as? Int == 2)
        #expect(try await cloud.imageIDs("region-b") == [fromB])

        let reportFile = ScratchDirectory.unusedURL("sync-report").appendingPathExtension("json").path
        defer { try? FileManager.default.removeItem(atPath: reportFile) }
        let run = try await CLIRunner.run(sync + ["--report", reportFile], environment: environment)
        #expect(run.status == 0, "stderr: \(run.stderr) stdout: \(run.stdout.prefix(3000))")
        // The report with its owner and members validates against the published schema.
        let valid = try Repository.run("scripts/validate-report", [reportFile])
        #expect(valid.status == 0, "\(valid.stderr)")
        let regions = try #require(try run.json()["regions"] as? [[String: Any]])
        #expect(regions.map { $0["owner"] as? String } == ["preserved", "preserved"])
        #expect((regions[1]["members"] as? [String: Any])?["added"] as? Int == 2)
        #expect(try await cloud.owner("region-b", fromA) == "project-a")
        #expect(try await cloud.owner("region-a", fromB) == "project-b")
        #expect(try await cloud.members("region-b", fromA) == ["partner-1", "partner-2"])

        // A member added at the origin reaches the copy; one added to the copy stays there and only there,
        // until --prune-members.
        try await cloud.addMember("partner-3", to: fromA, in: "region-a")
        try await cloud.addMember("partner-x", to: fromA, in: "region-b")
        let again = try await CLIRunner.run(sync, environment: environment)
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(try await cloud.members("region-b", fromA) == ["partner-1", "partner-2", "partner-3", "partner-x"])
        #expect(try await cloud.members("region-a", fromA) == ["partner-1", "partner-2", "partner-3"])
        let pruned = try await CLIRunner.run(sync + ["--prune-members"], environment: environment)
        #expect(pruned.status == 0, "stderr: \(pruned.stderr)")
        #expect(try await cloud.members("region-b", fromA) == ["partner-1", "partner-2", "partner-3"])
        let converged = try await CLIRunner.run(sync + ["--prune-members", "--dry-run"], environment: environment)
        #expect(converged.status == 0, "stdout: \(converged.stdout.prefix(3000))")

        // The member role: new copies belong to the replicating project, and the matrix says so.
        let ownID = UUID().uuidString.lowercased()
        try await cloud.seed("region-b", id: ownID, name: "ks-own", data: Data(repeating: 8, count: 100))
        let member = try await CLIRunner.run(
            [
                "sync", "cloud:replicator/region-a", "cloud:replicator/region-b", "--visibility", "private",
                "--include-name", "ks-own", "--preserve-owner",
            ],
            environment: environment
        )
        #expect(member.status == 0, "stderr: \(member.stderr) stdout: \(member.stdout.prefix(2000))")
        #expect(
            member.stdout.contains(
                "R1 owner: new copies are owned by the replicating project (keeping the source's owner needs the admin role)"
            ),
            "stdout: \(member.stdout)"
        )
        #expect(try await cloud.owner("region-a", ownID) == cloud.owner("region-b", ownID))

        let unshared = try await CLIRunner.run(
            ["sync", "cloud:replicator/region-a", "cloud:replicator/region-b", "--members"],
            environment: environment
        )
        #expect(unshared.status == 2)
        #expect(unshared.stderr.contains("add shared to --visibility"))
    }

    /// --members: a shared copy gets the source's member projects, mapped by --member-map where given.
    @Test func membersOfSharedImagesAreReplicatedAndMapped() async throws {
        let id = UUID().uuidString.lowercased()
        try await cloud.seed(
            "region-a",
            id: id,
            name: "kc-shared",
            data: Data(repeating: 4, count: 100),
            visibility: "shared"
        )
        for member in ["partner-1", "partner-2"] { try await cloud.addMember(member, to: id, in: "region-a") }
        let map = ScratchDirectory.unusedURL("members").appendingPathExtension("yaml").path
        try "partner-2: partner-b\n".write(toFile: map, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: map) }
        let arguments = [
            "replicate", "cloud:replicator/region-a", "cloud:replicator/region-b", "--visibility", "shared",
            "--members",
            "--member-map", map,
        ]
        let result = try await CLIRunner.run(arguments + ["--format", "json"], environment: environment)
        #expect(result.status == 0, "stderr: \(result.stderr) stdout: \(result.stdout.prefix(2000))")
        let members = (try result.json()["targets"] as? [[String: Any]])?.first?["members"] as? [String: Any]
        #expect(members?["added"] as? Int == 2)
        #expect(try await cloud.members("region-b", id) == ["partner-1", "partner-b"])
        // A second run finds nothing to add.
        let again = try await CLIRunner.run(arguments, environment: environment)
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(again.stdout.contains("members: 0 added to shared copies"), "stdout: \(again.stdout)")
        let unshared = try await CLIRunner.run(
            ["replicate", "cloud:replicator/region-a", "cloud:replicator/region-b", "--members"],
            environment: environment
        )
        #expect(unshared.status == 2)
        #expect(unshared.stderr.contains("add shared to --visibility"))
    }
}
