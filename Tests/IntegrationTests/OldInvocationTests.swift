import Foundation
import Testing

/// The old glance-replicator's documented command lines, and dumps in its layout, run through the built
/// binary against two real Glance regions; what they did is checked on the regions (records, visibility,
/// properties, bytes).
@Suite(
    "The old tool's invocations and dumps against real Glance regions",
    .serialized,
    .needsRealRegions
)
struct OldInvocationTests {
    let a: GlanceTestClient
    let b: GlanceTestClient

    init() async throws {
        (a, b) = try await RealRegions.emptiedAB()
    }

    /// The old tool's `server:port` form of a region.
    func hostPort(_ region: GlanceTestClient) -> String {
        String(region.root.dropFirst("http://".count))
    }

    func seed(_ count: Int) async throws -> [(id: String, data: Data)] {
        var images: [(id: String, data: Data)] = []
        for index in 0..<count {
            let id = newID()
            let data = randomData(100_000 + index * 7)
            try await a.seed(
                id,
                data: data,
                ["name": "old-\(index)", "visibility": "public", "os_distro": "d\(index)"]
            )
            images.append((id, data))
        }
        return images
    }

    @Test func helpOfEachOldCommand() async throws {
        for command in ["compare", "dump", "livecopy", "load", "size"] {
            let help = try await CLIRunner.run(["help", command])
            #expect(help.status == 0, "help \(command): \(help.stderr)")
            #expect(help.stdout.contains("USAGE: glance-replicator"), "help \(command)")
        }
    }

    @Test func oldCommandLinesRunAsTheyWere() async throws {
        let images = try await seed(2)
        let source = hostPort(a)
        let target = hostPort(b)

        let size = try await CLIRunner.run(["size", "-t", "any-token", source])
        #expect(size.status == 0, "\(size.stderr)")
        #expect(size.stdout.contains("summary: 2 images"), "\(size.stdout)")

        let before = try await CLIRunner.run(["compare", source, target])
        #expect(before.status == 1, "\(before.stderr)")

        // -m: metadata only; nothing is created on the target.
        let metaOnly = try await CLIRunner.run(["livecopy", "-m", source, target])
        #expect(metaOnly.status == 0, "\(metaOnly.stderr)")
        #expect(metaOnly.stderr.contains("note: -m/--metaonly: livecopy repairs metadata only"))
        #expect(try await b.allImages().isEmpty)

        // dump SERVER:PORT PATH, then load SERVER:PORT PATH (the old order).
        let dump = try ScratchDirectory("olddump")
        defer { dump.remove() }
        let dumped = try await CLIRunner.run(["dump", "--mastertoken", "t", source, dump.path])
        #expect(dumped.status == 0, "\(dumped.stderr)")
        for image in images {
            #expect(try Data(contentsOf: URL(fileURLWithPath: dump.file("\(image.id).img"))) == image.data)
        }
        let loaded = try await CLIRunner.run(["load", "-S", "t", target, dump.path])
        #expect(loaded.status == 0, "\(loaded.stderr)")
        for image in images {
            #expect(try await b.image(image.id)?["os_distro"] as? String != nil)
            #expect(try await b.data(image.id) == image.data)
        }

        // The old man page's livecopy, its options before the locations and -D as one space-separated value.
        let third = newID()
        let data = randomData(123_457)
        try await a.seed(third, data: data, ["name": "old-third", "visibility": "public", "os_distro": "x"])
        let copy = try await CLIRunner.run([
            "livecopy", "-c", "65536", "-D", "created_at date deleted_at location updated_at os_distro", "-d",
            "--sourcetoken", "same", "--targettoken", "same", source, target,
        ])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(copy.stderr.contains("note: -c/--chunksize is ignored"))
        let record = try #require(try await b.image(third))
        #expect(record["status"] as? String == "active")
        #expect(record["os_distro"] == nil, "-D keeps os_distro off the copy")
        #expect(try await b.data(third) == data)
        let after = try await CLIRunner.run(["compare", "-D", "os_distro", source, target])
        #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
        #expect(try await CLIRunner.run(["compare", source, target]).status == 1, "os_distro differs on the third")

        // What this tool cannot do as the old one did: one line, exit 2.
        let refused = try await CLIRunner.run(["livecopy", "--syslog", source, target])
        #expect(refused.status == 2)
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
    }

    /// A dump of the old tool: each image's Images v1 record (as `GET /v1/images/detail` returned it) in a
    /// file named by its id, its data in `<id>.img`.
    struct OldDump {
        let directory: ScratchDirectory

        func add(
            _ id: String,
            data: Data?,
            recordedData: Data? = nil,
            isPublic: Bool,
            status: String = "active",
            deleted: Bool = false,
            properties: [String: Any]
        ) throws {
            let recorded = recordedData ?? data ?? Data()
            let record: [String: Any] = [
                "status": status, "name": "v1-\(id.prefix(8))", "deleted": deleted, "container_format": "bare",
                "created_at": "2016-03-04T05:06:07.000000", "disk_format": "raw",
                "updated_at": "2016-03-04T05:06:08.000000", "id": id, "owner": "3f1ae7b3c1a54c28a8bb1b1b7c3a1f00",
                "protected": false, "min_ram": 128, "checksum": status == "active" ? md5(recorded) : NSNull(),
                "min_disk": 1, "is_public": isPublic, "deleted_at": deleted ? "2017-01-01T00:00:00.000000" : NSNull(),
                "properties": properties, "size": status == "active" ? recorded.count : NSNull(),
                "virtual_size": NSNull(),
            ]
            try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: directory.file(id)))
            if let data { try data.write(to: URL(fileURLWithPath: directory.file("\(id).img"))) }
        }
    }

    @Test func oldDumpIsComparedAndLoadedWithV2VisibilityPropertiesAndVerifiedBytes() async throws {
        let directory = try ScratchDirectory("v1dump")
        defer { directory.remove() }
        let dump = OldDump(directory: directory)
        let (publicID, privateID, deletedID, killedID) = (newID(), newID(), newID(), newID())
        let publicData = randomData(300_001)
        let privateData = randomData(40_000)
        try dump.add(
            publicID,
            data: publicData,
            isPublic: true,
            properties: ["os_distro": "debian", "hw_disk_bus": "scsi"]
        )
        try dump.add(privateID, data: privateData, isPublic: false, properties: ["kernel_id": NSNull(), "a": "b"])
        try dump.add(deletedID, data: randomData(10), isPublic: true, deleted: true, properties: [:])
        try dump.add(killedID, data: nil, isPublic: true, status: "killed", properties: [:])
        try Data("notes".utf8).write(to: URL(fileURLWithPath: directory.file("README")))
        let location = "dir:\(directory.path)"
        let scope = ["--visibility", "public,private"]

        let size = try await CLIRunner.run(["size", location] + scope)
        #expect(size.status == 0, "\(size.stderr)")
        #expect(size.stderr.contains("1 entry of neither dump layout, ignored: README"))
        #expect(size.stdout.contains("summary: 2 images"), "\(size.stdout)")
        #expect(size.stdout.contains("(340001 bytes)"), "\(size.stdout)")

        let compare = try await CLIRunner.run(["compare", location, b.root, "--format", "json"] + scope)
        #expect(compare.status == 1, "\(compare.stderr)")
        #expect(
            try compare.images().mapValues { $0["state"] as? String } == [publicID: "missing", privateID: "missing"]
        )

        // The old order: load TARGET PATH.
        let load = try await CLIRunner.run(["load", hostPort(b), directory.path, "--format", "json"] + scope)
        #expect(load.status == 0, "\(load.stderr)")
        let copied = try #require(try await b.image(publicID))
        #expect(copied["visibility"] as? String == "public")
        #expect(copied["os_distro"] as? String == "debian")
        #expect(copied["hw_disk_bus"] as? String == "scsi")
        #expect(copied["min_ram"] as? Int == 128 && copied["min_disk"] as? Int == 1)
        #expect(copied["checksum"] as? String == md5(publicData))
        #expect(try await b.data(publicID) == publicData)
        let hidden = try #require(try await b.image(privateID))
        #expect(hidden["visibility"] as? String == "private")
        #expect(hidden["a"] as? String == "b")
        #expect(hidden["kernel_id"] == nil)
        #expect(try await b.data(privateID) == privateData)
        #expect(try await b.image(deletedID) == nil, "deleted records are skipped")
        #expect(try await b.image(killedID) == nil, "only active images are copied")

        #expect(try await CLIRunner.run(["compare", location, b.root] + scope).status == 0)
        #expect(try await CLIRunner.run(["replicate", location, b.root, "--dry-run"] + scope).status == 0)
        // dump writes only the current layout, never into the old tool's directory.
        let refused = try await CLIRunner.run(["dump", b.root, location])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("old glance-replicator's layout"))
    }

    /// Data that is not what the old record says (a truncated or altered `.img`) is never activated.
    @Test func oldDumpDataIsVerifiedAgainstItsRecord() async throws {
        let directory = try ScratchDirectory("v1bad")
        defer { directory.remove() }
        let dump = OldDump(directory: directory)
        let (altered, truncated) = (newID(), newID())
        let data = randomData(50_000)
        var changed = data
        changed[10] ^= 0xFF
        try dump.add(altered, data: changed, recordedData: data, isPublic: true, properties: [:])
        try dump.add(truncated, data: data.prefix(1000), recordedData: data, isPublic: true, properties: [:])
        let load = try await CLIRunner.run(["load", "dir:\(directory.path)", b.root, "--format", "json"])
        #expect(load.status == 3, "\(load.stderr)")
        let results = try load.images()
        #expect((results[altered]?["error"] as? String)?.contains("md5") == true, "\(results)")
        #expect((results[truncated]?["error"] as? String)?.contains("1000 bytes") == true, "\(results)")
        for id in [altered, truncated] {
            #expect(try await b.image(id)?["status"] as? String != "active")
        }
    }

    @Test func folderWithoutRecordsIsNotADump() async throws {
        let directory = try ScratchDirectory("notadump")
        defer { directory.remove() }
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory.file("holiday.jpg")))
        for command in [["size", "dir:\(directory.path)"], ["load", "127.0.0.1:1", directory.path]] {
            let run = try await CLIRunner.run(command)
            #expect(run.status == 2, "\(command): \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains("no image record"))
        }
    }
}

/// The md5 hex digest of `data`, from coreutils' md5sum (independent of the code under test).
func md5(_ data: Data) -> String {
    let input = ScratchDirectory.unusedURL("md5")
    try? data.write(to: input)
    defer { try? FileManager.default.removeItem(at: input) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/md5sum")
    process.arguments = [input.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try? process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: output, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
}
