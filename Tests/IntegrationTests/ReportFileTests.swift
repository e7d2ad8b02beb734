import Foundation
import Testing

/// `--report` and `--report-html` from real runs that reach every state, action and result: the JSON is
/// validated against schema/report.schema.json, the page is rendered by a real headless Chromium.
@Suite(
    "Report files from real runs",
    .serialized,
    .needsRealRegions
)
struct ReportFileTests {
    let a: GlanceTestClient
    let b: GlanceTestClient

    init() async throws {
        (a, b) = try await RealRegions.emptiedAB()
    }

    /// Regions where a `replicate --prune` meets every state: ids by role.
    func seedEveryState() async throws -> [String: String] {
        var ids: [String: String] = [:]
        for role in ["sync", "drift", "conflict", "missing", "duplicate", "twin", "orphan", "corrupt"] {
            ids[role] = newID()
        }
        let duplicateData = randomData(3000)
        try await a.seed(ids["sync"]!, data: randomData(1000), ["name": "in-sync", "visibility": "public"])
        try await a.seed(ids["drift"]!, data: randomData(2000), ["name": "drifted <b>", "visibility": "public"])
        try await a.seed(ids["orphan"]!, data: randomData(500), ["name": "orphan", "visibility": "public"])
        #expect(try await CLIRunner.run(["replicate", a.root, b.root]).status == 0)
        try await b.patch(ids["drift"]!, [["op": "add", "path": "/os_distro", "value": "local & odd"]])
        try await a.call("DELETE", "/v2/images/\(ids["orphan"]!)", expect: [204])
        try await a.seed(ids["conflict"]!, data: randomData(1500), ["name": "conflict", "visibility": "public"])
        try await b.seed(ids["conflict"]!, data: randomData(1500), ["name": "conflict", "visibility": "public"])
        try await a.seed(ids["missing"]!, data: randomData(4000), ["name": "missing", "visibility": "public"])
        try await a.seed(ids["duplicate"]!, data: duplicateData, ["name": "duplicate", "visibility": "public"])
        try await b.seed(ids["twin"]!, data: duplicateData, ["name": "twin", "visibility": "public"])
        try await a.seed(ids["corrupt"]!, data: randomData(100_000), ["name": "corrupt", "visibility": "public"])
        let home = try #require(RealRegions.home, "GLANCE_HOME is not set")
        let handle = try #require(FileHandle(forUpdatingAtPath: "\(home)/regions/region-a/images/\(ids["corrupt"]!)"))
        try handle.seek(toOffset: 5000)
        try handle.write(contentsOf: Data([0, 1, 2, 3]))
        try handle.close()
        return ids
    }

    @Test func reportsOfEveryCommandValidateAgainstThePublishedSchema() async throws {
        let ids = try await seedEveryState()
        let scratch = try ScratchDirectory("reports")
        defer { scratch.remove() }
        let runs: [(String, [String], Int32)] = [
            ("compare", ["compare", a.root, b.root], 1),
            ("dry-run", ["replicate", a.root, b.root, "--dry-run", "--prune"], 1),
            ("replicate", ["replicate", a.root, b.root, "--prune"], 3),
            ("size", ["size", a.root], 0),
            ("dump", ["dump", a.root, "dir:\(scratch.file("dump"))", "--exclude-name", "corrupt"], 0),
            ("dump-compare", ["compare", "dir:\(scratch.file("dump"))", b.root], 1),
        ]
        var files: [String] = []
        for (name, arguments, status) in runs {
            let file = scratch.file("\(name).json")
            let run = try await CLIRunner.run(arguments + ["--report", file])
            #expect(run.status == status, "\(name): \(run.stderr)")
            files.append(file)
        }
        // The real run reached every result and every state (so the schema was tried on all of them).
        let replicated = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: files[2])))
        let images = ((replicated as? [String: Any])?["targets"] as? [[String: Any]])?.first?["images"]
        let entries = try #require(images as? [[String: Any]])
        #expect(
            Set(entries.compactMap { $0["state"] as? String }) == [
                "in_sync", "metadata_drift", "data_conflict", "missing", "same_content_other_id", "extra",
            ]
        )
        #expect(Set(entries.compactMap { $0["result"] as? String }) == ["done", "failed", "skipped"])
        #expect(Set(entries.compactMap { $0["action"] as? String }).isSuperset(of: ["delete", "copy", "conflict"]))
        #expect(entries.first { $0["id"] as? String == ids["orphan"] }?["result"] as? String == "done")

        let valid = try Repository.run("scripts/validate-report", files)
        #expect(valid.status == 0, "\(valid.stderr)")

        // The check can fail: a report with an unknown state and a missing summary key is refused.
        var broken = try #require(replicated as? [String: Any])
        var targets = try #require(broken["targets"] as? [[String: Any]])
        var summary = try #require(targets[0]["summary"] as? [String: Any])
        summary.removeValue(forKey: "extra")
        targets[0]["summary"] = summary
        var first = entries[0]
        first["state"] = "sort_of_in_sync"
        targets[0]["images"] = [first] + entries.dropFirst()
        broken["targets"] = targets
        let brokenFile = scratch.file("broken.json")
        try JSONSerialization.data(withJSONObject: broken).write(to: URL(fileURLWithPath: brokenFile))
        let invalid = try Repository.run("scripts/validate-report", [brokenFile])
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("'sort_of_in_sync' is not one of"))
        #expect(invalid.stderr.contains("'extra' is a required property"))
    }

    @Test(.needs("chromium is not installed (scripts/install-deps installs it)") { Chromium.path != nil })
    func htmlReportRendersInAHeadlessBrowser() async throws {
        try #require(Chromium.path != nil, "chromium is not installed (scripts/install-deps installs it)")
        let ids = try await seedEveryState()
        let scratch = try ScratchDirectory("html")
        defer { scratch.remove() }
        let page = scratch.file("report.html")
        let json = scratch.file("report.json")
        let run = try await CLIRunner.run([
            "replicate", a.root, b.root, "--prune", "--report-html", page, "--report", json,
        ])
        #expect(run.status == 3, "stderr: \(run.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        // Self-contained: nothing fetched, nothing run.
        for needle in ["<script", "<link", "src=", "url("] {
            #expect(!html.contains(needle), "the page contains \(needle)")
        }
        // The one http-equiv is the Content-Security-Policy that forbids scripts (no refresh, no redirect).
        #expect(html.components(separatedBy: "http-equiv").count == 2)
        #expect(html.contains(#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'"#))
        #expect(html.contains("drifted &lt;b&gt;"), "names are escaped")

        let dom = try Chromium.dumpDOM(page, scratch: scratch)
        let rows = dom.components(separatedBy: "<tr class=").count - 1
        #expect(rows == 8, "one row per image: \(ids.count - 1) images but \(rows) rows")
        for state in ["in_sync", "metadata_drift", "data_conflict", "missing", "same_content_other_id", "extra"] {
            #expect(dom.contains("<span class=\"badge\">\(state)</span>"), "no \(state) row")
        }
        #expect(dom.contains("os_distro"))
        #expect(dom.contains("same data as target image"))

        let screenshot = scratch.file("report.png")
        let blank = scratch.file("blank.png")
        try Data("<!DOCTYPE html><html><body></body></html>".utf8).write(
            to: scratch.url.appendingPathComponent("blank.html")
        )
        try Chromium.screenshot(page, to: screenshot, scratch: scratch)
        try Chromium.screenshot(scratch.file("blank.html"), to: blank, scratch: scratch)
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
        let dimensions = try #require(PNG.size(png))
        #expect(dimensions == (1280, 1000))
        let blankSize = try Data(contentsOf: URL(fileURLWithPath: blank)).count
        #expect(png.count > 5 * blankSize, "the page rendered (\(png.count) bytes against \(blankSize) blank)")
        if let keep = ProcessInfo.processInfo.environment["GLANCE_REPLICATOR_KEEP_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: screenshot, toPath: keep)
        }
    }
}

/// Debian's headless Chromium, driven from the command line.
enum Chromium {
    static var path: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func arguments(_ scratch: ScratchDirectory) -> [String] {
        [
            path ?? "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=\(scratch.file("chromium-profile"))", "--window-size=1280,1000",
        ]
    }

    static func run(_ arguments: [String], scratch: ScratchDirectory) throws -> String {
        let child = try ChildProcess(
            arguments,
            environment: ProcessInfo.processInfo.environment,
            stdout: scratch.file("chromium.out"),
            stderr: scratch.file("chromium.err")
        )
        let status = child.wait()
        guard status == 0 else {
            let stderr = (try? String(contentsOfFile: scratch.file("chromium.err"), encoding: .utf8)) ?? ""
            throw CLIRunner.Failure(description: "chromium exited \(status): \(stderr.suffix(2000))")
        }
        return try String(contentsOfFile: scratch.file("chromium.out"), encoding: .utf8)
    }

    static func dumpDOM(_ page: String, scratch: ScratchDirectory) throws -> String {
        try run(arguments(scratch) + ["--dump-dom", "file://\(page)"], scratch: scratch)
    }

    static func screenshot(_ page: String, to png: String, scratch: ScratchDirectory) throws {
        _ = try run(arguments(scratch) + ["--screenshot=\(png)", "file://\(page)"], scratch: scratch)
    }
}

enum PNG {
    /// Width and height from the IHDR chunk.
    static func size(_ data: Data) -> (Int, Int)? {
        guard data.count >= 24 else { return nil }
        let bytes = [UInt8](data.prefix(24))
        func word(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }
}
