import Foundation
import Testing

/// The built binary on dump directories written as an attacker would: control characters in names and
/// properties, HTML in names, ids that are not UUIDs, nesting without end. What a terminal, a script or a
/// browser would receive is asserted on the bytes the binary printed.
@Suite("Hostile dump directories, as the CLI shows them")
struct HostileDumpTests {
    static let escape = "\u{1B}"
    /// OSC 52 (write the clipboard), a screen clear, a bell, a forged line, a right-to-left override, C1 CSI.
    static let hostileName =
        "\u{1B}]52;c;SGVsbG8=\u{07}evil\u{1B}[2J\nsummary: 0 in sync, 0 missing, forged\u{202E}gpj.exe\u{9B}31m"

    func record(_ id: String, name: String, extra: [String: Any] = [:]) -> [String: Any] {
        var record: [String: Any] = [
            "id": id, "name": name, "status": "active", "visibility": "public", "size": 5,
            "checksum": String(repeating: "a", count: 32), "os_hash_algo": "sha512",
            "os_hash_value": String(repeating: "b", count: 128), "disk_format": "raw", "container_format": "bare",
            "tags": ["\u{1B}[31mred"], "created_at": "2026-11-20T00:00:00Z",
        ]
        record.merge(extra) { _, new in new }
        return record
    }

    func dump(_ records: [[String: Any]], in scratch: ScratchDirectory, named name: String) throws -> String {
        let path = scratch.file(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for record in records {
            let id = record["id"] as! String
            try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: "\(path)/\(id).json"))
        }
        return "dir:\(path)"
    }

    /// Dump "a": one image with the hostile name and an escape sequence in `os_distro`.
    func hostileDump(in scratch: ScratchDirectory) throws -> String {
        try dump(
            [record(offlineID("1"), name: Self.hostileName, extra: ["os_distro": "\u{1B}]0;title\u{07}"])],
            in: scratch,
            named: "a"
        )
    }

    @Test func controlCharactersAreShownEscapedAndJSONStaysExact() async throws {
        let scratch = try ScratchDirectory("hostile")
        defer { scratch.remove() }
        let a = try hostileDump(in: scratch)
        let b = try dump(
            [record(offlineID("1"), name: "plain", extra: ["os_distro": "x"])],
            in: scratch,
            named: "b"
        )
        let table = try await CLIRunner.run(["compare", a, b])
        #expect(table.status == 1, "stderr: \(table.stderr)")
        for bad in [Self.escape, "\u{07}", "\u{202E}", "\u{9B}"] {
            #expect(!table.stdout.contains(bad))
            #expect(!table.stderr.contains(bad))
        }
        #expect(table.stdout.contains("\\u{1B}]52;c;SGVsbG8=\\u{7}evil"))
        #expect(table.stdout.contains("\\nsummary: 0 in sync"))
        // One target, one summary line: the name's newline forged none.
        #expect(table.stdout.split(separator: "\n").filter { $0.hasPrefix("summary:") }.count == 1)

        let json = try await CLIRunner.run(["compare", a, b, "--format", "json"])
        #expect(json.status == 1)
        let image = try #require(try json.images()[offlineID("1")])
        #expect(image["name"] as? String == Self.hostileName)

        let size = try await CLIRunner.run(["size", a])
        #expect(size.status == 0)
        #expect(!size.stdout.contains(Self.escape))
    }

    /// `sync`'s matrix shows the same server strings (names, ids, changed values) made inert: a name forges no
    /// summary line of a region, and no escape sequence reaches the terminal.
    @Test func syncsMatrixShowsControlCharactersEscaped() async throws {
        let scratch = try ScratchDirectory("hostile")
        defer { scratch.remove() }
        let a = try hostileDump(in: scratch)
        let b = try dump(
            [
                record(
                    offlineID("1"),
                    name: Self.hostileName,
                    extra: ["os_distro": "x", "glance_replicator_source": a]
                )
            ],
            in: scratch,
            named: "b"
        )
        let table = try await CLIRunner.run(["sync", a, b, "--dry-run"])
        #expect(table.status == 1, "stderr: \(table.stderr)")
        for bad in [Self.escape, "\u{07}", "\u{202E}", "\u{9B}"] {
            #expect(!table.stdout.contains(bad))
            #expect(!table.stderr.contains(bad))
        }
        #expect(table.stdout.contains("\\u{1B}]52;c;SGVsbG8=\\u{7}evil"), "stdout: \(table.stdout)")
        #expect(table.stdout.contains("os_distro: \"x\" -> \"\\u{1B}]0;title\\u{7}\""))
        // Two regions, two summary lines: the name's newline forged none.
        let summaries = table.stdout.split(separator: "\n").filter {
            $0.hasPrefix("summary:") || $0.hasPrefix("R1 summary:") || $0.hasPrefix("R2 summary:")
        }
        #expect(summaries.count == 2, "stdout: \(table.stdout)")
    }

    @Test func theHTMLReportEscapesByScalarAndForbidsScripts() async throws {
        let scratch = try ScratchDirectory("hostile")
        defer { scratch.remove() }
        // U+0600 is a prepended mark: with the `<` after it, one Character that a per-Character escape missed.
        let a = try dump(
            [record(offlineID("1"), name: "\u{0600}<img src=x onerror=alert(1)>")],
            in: scratch,
            named: "a"
        )
        let html = scratch.file("report.html")
        let result = try await CLIRunner.run(["compare", a, a, "--report-html", html])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(!page.contains("<img"))
        #expect(page.contains("\u{0600}&lt;img src=x onerror=alert(1)&gt;"))
        #expect(page.contains(#"<meta http-equiv="Content-Security-Policy""#))
        #expect(page.contains("script-src 'none'"))
        #expect(!page.contains("<script"))
    }

    @Test func aRecordWhoseIDIsNotAUUIDIsInvalidAndExits3() async throws {
        let scratch = try ScratchDirectory("hostile")
        defer { scratch.remove() }
        let a = try dump(
            [record("not-a-uuid", name: "odd"), record(offlineID("2"), name: "fine")],
            in: scratch,
            named: "a"
        )
        let b = try dump([record(offlineID("2"), name: "fine")], in: scratch, named: "b")
        let result = try await CLIRunner.run(["compare", a, b, "--format", "json"])
        #expect(result.status == 3, "stderr: \(result.stderr)")
        let images = try result.images()
        #expect(images["not-a-uuid"]?["state"] as? String == "invalid")
        #expect((images["not-a-uuid"]?["error"] as? String)?.contains("not a UUID") == true)
        #expect(try result.summary()["invalid"] == 1)
        let errors = result.stderr.split(separator: "\n")
        #expect(errors.count == 1)
        #expect(errors.first?.contains("1 invalid record") == true)
        #expect(errors.first?.contains("not-a-uuid") == true)
    }

    @Test func deepNestingInADumpRecordIsNoCrash() async throws {
        let scratch = try ScratchDirectory("hostile")
        defer { scratch.remove() }
        let path = scratch.file("deep")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let id = offlineID("3")
        let depth = 2_000_000
        let json =
            #"{"id": "\#(id)", "name": "deep", "status": "active", "visibility": "public", "size": 5, "#
            + #""checksum": "\#(String(repeating: "a", count: 32))", "nested": "#
            + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        try Data(json.utf8).write(to: URL(fileURLWithPath: "\(path)/\(id).json"))
        let result = try await CLIRunner.run(["size", "dir:\(path)", "--format", "json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect((try result.json()["summary"] as? [String: Int])?["images"] == 1)
    }

    @Test func anErrorLineQuotingServerDataIsInert() async throws {
        let scratch = try ScratchDirectory("hostile")
        defer { scratch.remove() }
        let path = scratch.file("mismatch")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // The file's name and the id inside differ: the error names the id read, ESC and newline included.
        let inside = record("\u{1B}[2J\nglance-replicator: error: forged", name: "x")
        try JSONSerialization.data(withJSONObject: inside)
            .write(to: URL(fileURLWithPath: "\(path)/\(offlineID("4")).json"))
        let result = try await CLIRunner.run(["size", "dir:\(path)"])
        #expect(result.status == 4)
        #expect(!result.stderr.contains(Self.escape))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("\\u{1B}[2J\\nglance-replicator: error: forged"))
    }
}
