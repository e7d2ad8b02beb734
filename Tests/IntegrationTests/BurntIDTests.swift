import Foundation
import Testing

/// A burnt id (a target refuses the id of an image deleted there): the error line's commands are run as an
/// operator would, with `glance-manage` against region B's own configuration, and must free the id.
@Suite(
    "Burnt ids on a real Glance region",
    .serialized,
    .needsRealRegions
)
struct BurntIDTests {
    let a: GlanceTestClient
    let b: GlanceTestClient

    init() async throws {
        (a, b) = try await RealRegions.emptiedAB()
    }

    /// The commands of the error line, with region B's configuration file for /etc/glance/glance-api.conf.
    func glanceManage(_ line: String, home: String) throws -> [[String]] {
        let config = "\(home)/regions/region-b/etc/glance-api.conf"
        let venv =
            RealRegions.environment["GLANCE_VENV"]
            ?? "\(NSHomeDirectory())/.cache/glance-replicator/glance-venv"
        var commands: [[String]] = []
        for part in line.split(separator: "`").enumerated() where part.offset % 2 == 1 {
            let words = part.element.split(separator: " ").map(String.init)
            guard words.first == "glance-manage" else { continue }
            commands.append(
                ["\(venv)/bin/glance-manage"]
                    + words.dropFirst().map { $0 == "/etc/glance/glance-api.conf" ? config : $0 }
            )
        }
        return commands
    }

    func run(_ command: [String]) throws -> Int32 {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("glance-manage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: log) }
        return try ChildProcess(
            command,
            environment: ProcessInfo.processInfo.environment,
            stdout: log.path,
            stderr: log.path
        ).wait()
    }

    @Test func theErrorLinesCommandsFreeTheIdAndStatusListsItMeanwhile() async throws {
        let home = try #require(RealRegions.home, "GLANCE_HOME is not set")
        let id = newID()
        let data = randomData(20_000)
        try await a.seed(id, data: data, ["name": "burnt", "visibility": "public"])
        // On B the id belonged to an image deleted there, whose failed upload left its file in the store
        // (what a worker killed mid-upload leaves: Glance 33 deletes the record but not the file).
        try await b.create(["id": id, "name": "earlier", "visibility": "public"])
        try await b.call("DELETE", "/v2/images/\(id)", expect: [204])
        let leftover = "\(home)/regions/region-b/images/\(id)"
        try randomData(7000).write(to: URL(fileURLWithPath: leftover))
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("burnt-\(UUID().uuidString)")
        let state = ["--state", base.appendingPathComponent("state.sqlite").path]
        let spool = ["--spool", base.appendingPathComponent("spool").path]

        let refused = try await CLIRunner.run(["replicate", a.root, b.root] + state + spool)
        #expect(refused.status == 3, "stderr: \(refused.stderr)")
        let line = try #require(refused.stderr.split(separator: "\n").first { $0.contains("refuses image id \(id)") })
        #expect(line.contains("db purge --age_in_days 0"))
        #expect(line.contains("FILESYSTEM_STORE_DATADIR/\(id)"))
        let status = try await CLIRunner.run(["status", "--format", "json"] + state + spool)
        #expect(status.status == 0, "stderr: \(status.stderr)")
        let burnt = try #require(try status.json()["burnt_ids"] as? [[String: Any]])
        #expect(burnt.count == 1)
        #expect(burnt.first?["target"] as? String == b.root)
        #expect(burnt.first?["image_id"] as? String == id)
        let table = try await CLIRunner.run(["status"] + state + spool)
        #expect(table.stdout.contains("  \(b.root):\n    \(id)  burnt"), "\(table.stdout)")

        // The operator does what the line says, in its order.
        let commands = try glanceManage(String(line), home: home)
        #expect(commands.count == 2, "\(line)")
        for command in commands { #expect(try run(command) == 0, "\(command)") }
        try FileManager.default.removeItem(atPath: leftover)

        let copied = try await CLIRunner.run(["replicate", a.root, b.root] + state + spool)
        #expect(copied.status == 0, "stderr: \(copied.stderr)")
        #expect(try await b.data(id) == data)
        let after = try await CLIRunner.run(["status", "--format", "json"] + state + spool)
        #expect((try after.json()["burnt_ids"] as? [[String: Any]])?.isEmpty == true)
    }
}
