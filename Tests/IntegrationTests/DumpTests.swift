import Foundation
import Testing

/// `dump`, `load` and `dir:` locations against two real Glance regions, through the built binary.
@Suite(
    "Dumps between real Glance regions",
    .serialized,
    .needsRealRegions
)
struct DumpTests {
    let a: GlanceTestClient
    let b: GlanceTestClient

    init() async throws {
        (a, b) = try await RealRegions.emptiedAB()
    }

    /// Three active public images on A, by name, with their data.
    func seedThree() async throws -> [String: (id: String, data: Data)] {
        var images: [String: (id: String, data: Data)] = [:]
        for (name, size) in [("alpine", 3 * 1024 * 1024 + 5), ("busybox", 70_000), ("cirros", 12_345)] {
            let id = newID()
            let data = randomData(size)
            try await a.seed(id, data: data, ["name": name, "visibility": "public", "os_distro": name, "tags": ["t"]])
            images[name] = (id, data)
        }
        return images
    }

    @Test func dumpWritesExactRecordsAndVerifiedDataThenResumesWithoutKeepingTruncatedData() async throws {
        let images = try await seedThree()
        let dump = try ScratchDirectory("dump")
        defer { dump.remove() }
        let first = try await CLIRunner.run(["dump", a.root, "dir:\(dump.path)", "--format", "json"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(try first.summary()["missing"] == 3)
        #expect(try first.images().values.allSatisfy { $0["result"] as? String == "done" })
        for (name, image) in images {
            let (_, raw) = try await a.call("GET", "/v2/images/\(image.id)", expect: [200])
            #expect(try Data(contentsOf: URL(fileURLWithPath: dump.file("\(image.id).json"))) == raw, "\(name).json")
            #expect(try Data(contentsOf: URL(fileURLWithPath: dump.file("\(image.id).img"))) == image.data, "\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dump.path).count == 6)

        // Interrupt it three ways: a .json gone with its data complete, a truncated .img (what the old tool
        // left and then skipped forever), a half-fetched .img.part with neither .img nor .json.
        let alpine = try #require(images["alpine"])
        let busybox = try #require(images["busybox"])
        let cirros = try #require(images["cirros"])
        try FileManager.default.removeItem(atPath: dump.file("\(cirros.id).json"))
        try busybox.data.prefix(1000).write(to: URL(fileURLWithPath: dump.file("\(busybox.id).img")))
        try FileManager.default.removeItem(atPath: dump.file("\(alpine.id).img"))
        try FileManager.default.removeItem(atPath: dump.file("\(alpine.id).json"))
        try alpine.data.prefix(2_000_000).write(to: URL(fileURLWithPath: dump.file("\(alpine.id).img.part")))

        let audit = try await CLIRunner.run(["compare", a.root, "dir:\(dump.path)", "--format", "json"])
        #expect(audit.status == 1)
        #expect(try audit.images()[cirros.id]?["state"] as? String == "missing")

        let resumed = try await CLIRunner.run(["dump", a.root, "dir:\(dump.path)", "--format", "json", "-v"])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming a partial download"))
        #expect(resumed.stderr.contains("offset=2000000"))
        let states = try resumed.images().mapValues { $0["state"] as? String }
        #expect(states == [alpine.id: "missing", busybox.id: "missing", cirros.id: "missing"])
        for image in [alpine, busybox, cirros] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: dump.file("\(image.id).img"))) == image.data)
            #expect(FileManager.default.fileExists(atPath: dump.file("\(image.id).json")))
            #expect(!FileManager.default.fileExists(atPath: dump.file("\(image.id).img.part")))
        }
        let again = try await CLIRunner.run(["dump", a.root, "dir:\(dump.path)", "--format", "json"])
        #expect(again.status == 0)
        #expect(try again.summary()["in_sync"] == 3)
        #expect(try await CLIRunner.run(["compare", a.root, "dir:\(dump.path)"]).status == 0)
        #expect(try await CLIRunner.run(["compare", "dir:\(dump.path)", a.root]).status == 0)
    }

    @Test func corruptPartialDataIsThrownAwayNotKept() async throws {
        let id = newID()
        let data = randomData(500_000)
        try await a.seed(id, data: data, ["name": "x", "visibility": "public"])
        let dump = try ScratchDirectory("dump")
        defer { dump.remove() }
        var wrong = data.prefix(100_000)
        wrong[wrong.startIndex + 10] ^= 0xff
        try Data(wrong).write(to: URL(fileURLWithPath: dump.file("\(id).img.part")))
        let run = try await CLIRunner.run(["dump", a.root, "dir:\(dump.path)", "--format", "json"])
        #expect(run.status == 3)
        #expect((try run.images()[id]?["error"] as? String)?.contains("md5") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dump.path).isEmpty)
        let retry = try await CLIRunner.run(["dump", a.root, "dir:\(dump.path)"])
        #expect(retry.status == 0, "stderr: \(retry.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dump.file("\(id).img"))) == data)
    }

    @Test func loadReplicatesFromADumpWithProvenance() async throws {
        let images = try await seedThree()
        let dump = try ScratchDirectory("dump")
        defer { dump.remove() }
        #expect(try await CLIRunner.run(["dump", a.root, "dir:\(dump.path)"]).status == 0)
        let plan = try await CLIRunner.run(["replicate", "dir:\(dump.path)", b.root, "--dry-run", "--format", "json"])
        #expect(plan.status == 1)
        #expect(try plan.summary()["missing"] == 3)
        let load = try await CLIRunner.run([
            "load", "dir:\(dump.path)", b.root, "--concurrency", "3", "--format", "json",
        ])
        #expect(load.status == 0, "stderr: \(load.stderr)")
        // Loads go through replicate's scheduler: the target's overload limit starts at --concurrency.
        let target = (try load.json()["targets"] as? [[String: Any]])?.first
        #expect(target?["lowest_upload_limit"] as? Int == 3, "\(target ?? [:])")
        for image in images.values {
            #expect(try await b.data(image.id) == image.data)
            let copy = try #require(try await b.image(image.id))
            // Named by a digest of the location: the dump's path is not shown to every project.
            let provenance = copy["glance_replicator_source"] as? String ?? ""
            #expect(provenance.hasPrefix("dump-") && provenance.count == 17 && !provenance.contains(dump.path))
        }
        #expect(try await CLIRunner.run(["compare", "dir:\(dump.path)", b.root]).status == 0)
        #expect(try await CLIRunner.run(["compare", a.root, b.root]).status == 0, "provenance is never compared")
        let usage = try await CLIRunner.run(["load", a.root, b.root])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("dir:PATH"))
        let readOnly = try await CLIRunner.run(["replicate", a.root, "dir:\(dump.path)"])
        #expect(readOnly.status == 2)
        #expect(readOnly.stderr.contains("cannot write into a dump directory"))
    }

    @Test func metaonlyDumpAuditsButCannotLoad() async throws {
        let images = try await seedThree()
        let dump = try ScratchDirectory("dump")
        defer { dump.remove() }
        let run = try await CLIRunner.run(["dump", a.root, "dir:\(dump.path)", "--metaonly"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dump.path)
        #expect(Set(files) == Set(images.values.map { "\($0.id).json" }))
        #expect(try await CLIRunner.run(["compare", "dir:\(dump.path)", a.root]).status == 0)
        let size = try await CLIRunner.run(["size", "dir:\(dump.path)", "--format", "json"])
        let total = images.values.map(\.data.count).reduce(0, +)
        #expect((try size.json()["summary"] as? [String: Int])?["bytes"] == total)
        let load = try await CLIRunner.run(["load", "dir:\(dump.path)", b.root, "--format", "json"])
        #expect(load.status == 3)
        #expect(try load.images().values.allSatisfy { ($0["error"] as? String)?.contains("--metaonly") == true })
        #expect(try await b.allImages().isEmpty, "nothing half-made is left")
    }
}
