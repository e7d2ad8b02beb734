import Foundation
import Testing

@testable import glance_replicator

/// The old glance-replicator's command lines rewritten into this tool's, word for word, without a server:
/// what each becomes, which lines say the meaning changed, and that this tool's own lines are untouched.
@Suite("The old tool's command lines")
struct LegacyCommandLineTests {
    static func rewrite(_ words: [String]) throws -> LegacyCommandLine {
        try LegacyCommandLine(words) { GlanceReplicator.subcommand(named: $0).map(ArgumentSpec.of) ?? [] }
    }

    @Test(arguments: [
        (["dump", "127.0.0.1:9292", "/srv/dump"], ["dump", "127.0.0.1:9292", "dir:/srv/dump"]),
        (["dump", "127.0.0.1:9292", "relative/dump"], ["dump", "127.0.0.1:9292", "dir:relative/dump"]),
        (["load", "127.0.0.1:9292", "/srv/dump"], ["load", "dir:/srv/dump", "127.0.0.1:9292"]),
        (["load", "127.0.0.1:9292", "dir:/srv/dump"], ["load", "dir:/srv/dump", "127.0.0.1:9292"]),
        (["livecopy", "-t", "TOK", "a:1", "b:2"], ["livecopy", "a:1", "b:2", "--token=TOK"]),
        (["livecopy", "a:1", "b:2", "-tTOK"], ["livecopy", "a:1", "b:2", "--token=TOK"]),
        (["-t", "TOK", "compare", "a:1", "b:2"], ["compare", "a:1", "b:2", "--token=TOK"]),
        (["--token", "TOK", "-v", "size", "a:1"], ["size", "a:1", "-v", "--token=TOK"]),
        (
            ["livecopy", "-D", "created_at date deleted_at location updated_at", "a:1", "b:2"],
            ["livecopy", "a:1", "b:2", "--dontreplicate=created_at,date,deleted_at,location,updated_at"]
        ),
        (
            ["livecopy", "--dontreplicate", "owner_specified.openstack.md5 hw_qemu", "a:1", "b:2"],
            ["livecopy", "a:1", "b:2", "--dontreplicate=owner_specified.openstack.md5,hw_qemu"]
        ),
        (["compare", "--dontreplicate=x y", "a:1", "b:2"], ["compare", "a:1", "b:2", "--dontreplicate=x,y"]),
        (["dump", "-m", "a:1", "/x"], ["dump", "a:1", "dir:/x", "--metaonly"]),
        (["dump", "--metaonly", "a:1", "/x"], ["dump", "a:1", "dir:/x", "--metaonly"]),
        (["compare", "-m", "a:1", "b:2"], ["compare", "a:1", "b:2"]),
        (
            ["compare", "--sourcetoken", "S", "--targettoken", "S", "a:1", "b:2"],
            ["compare", "a:1", "b:2", "--token=S"]
        ),
        (["compare", "-M", "S", "-S", "T", "-t", "X", "a:1", "b:2"], ["compare", "a:1", "b:2", "--token=X"]),
        (["load", "--targettoken", "T", "--sourcetoken", "S", "a:1", "/x"], ["load", "dir:/x", "a:1", "--token=T"]),
        (["dump", "--mastertoken=S", "--slavetoken=T", "a:1", "/x"], ["dump", "a:1", "dir:/x", "--token=S"]),
        (["size", "-S", "T", "a:1"], ["size", "a:1", "--token=T"]),
        (["size", "--sourcetoken", "S", "a:1"], ["size", "a:1", "--token=S"]),
        (["compare", "-d", "a:1", "b:2"], ["compare", "a:1", "b:2", "--verbose"]),
        (["compare", "--debug", "-v", "a:1", "b:2"], ["compare", "a:1", "b:2", "-v"]),
        (["livecopy", "--nometaonly", "a:1", "b:2"], ["livecopy", "a:1", "b:2"]),
        (
            ["livecopy", "--sourcetoken", "S", "--targettoken", "T", "a:1", "b:2"],
            ["livecopy", "a:1", "b:2", "--source-token=S", "--target-token=T"]
        ),
        (["compare", "-S", "T", "a:1", "b:2"], ["compare", "a:1", "b:2", "--target-token=T"]),
        (["compare", "--mastertoken", "S", "a:1", "b:2"], ["compare", "a:1", "b:2", "--source-token=S"]),
    ])
    func oldCommandLineBecomesThisToolsOne(_ old: [String], _ modern: [String]) throws {
        let rewritten = try Self.rewrite(old)
        #expect(rewritten.arguments == modern)
        // The rewrite is what the parser accepts.
        _ = try GlanceReplicator.parseAsRoot(rewritten.arguments)
    }

    /// This tool's command lines, and lines that are wrong in both tools, reach the parser as they are.
    @Test(arguments: [
        ["compare", "a:1", "b:2", "--dontreplicate", "x", "y"],
        ["compare", "a:1", "b:2", "--token", "T", "-v"],
        ["compare", "--format", "json", "a:1", "b:2"],
        ["dump", "a:1", "dir:/x", "--metaonly"],
        ["dump", "a:1", "b:2"],
        ["load", "dir:/x", "a:1", "--dry-run"],
        ["size", "dir:/x"],
        ["replicate", "a:1", "b:2", "-t", "T"],
        ["help", "dump"],
        ["--help"],
        [],
    ])
    func thisToolsCommandLineIsUntouched(_ words: [String]) throws {
        let rewritten = try Self.rewrite(words)
        #expect(rewritten.arguments == words)
        #expect(rewritten.notes.isEmpty)
    }

    @Test(arguments: [
        (["livecopy", "-c", "65536", "a:1", "b:2"], ["livecopy", "a:1", "b:2"], "-c/--chunksize is ignored"),
        (["dump", "--chunksize=1024", "a:1", "/d"], ["dump", "a:1", "dir:/d"], "-c/--chunksize is ignored"),
        (["livecopy", "-m", "a:1", "b:2"], ["livecopy", "a:1", "b:2", "--max-transfer=0"], "repairs metadata only"),
        (["load", "--metaonly", "a:1", "/d"], ["load", "dir:/d", "a:1", "--max-transfer=0"], "reported as deferred"),
    ])
    func changedMeaningIsOneNote(_ old: [String], _ modern: [String], _ note: String) throws {
        let rewritten = try Self.rewrite(old)
        #expect(rewritten.arguments == modern)
        #expect(rewritten.notes.count == 1)
        #expect(rewritten.notes.first?.contains(note) == true)
        #expect(rewritten.notes.allSatisfy { !$0.contains("\n") })
    }

    @Test func logFileIsTakenOut() throws {
        let rewritten = try Self.rewrite(["livecopy", "-l", "/var/log/r.log", "a:1", "b:2"])
        #expect(rewritten.arguments == ["livecopy", "a:1", "b:2"])
        #expect(rewritten.logFile == "/var/log/r.log")
    }

    /// What cannot be mapped without losing logs or reading another tool's configuration: a usage error
    /// saying what to do instead.
    @Test(arguments: [
        (["livecopy", "-s", "a:1", "b:2"], "logger -t glance-replicator"),
        (["livecopy", "--config-file", "/etc/glance/glance-replicator.conf", "a:1", "b:2"], "--config FILE"),
        (["livecopy", "-c", "lots", "a:1", "b:2"], "not a number of bytes"),
        (["livecopy", "a:1", "b:2", "-t"], "-t needs a value"),
    ])
    func unmappableIsAUsageError(_ words: [String], _ hint: String) {
        let error = #expect(throws: (any Error).self) { try Self.rewrite(words) }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains(hint), "\(message)")
    }

    /// `-l FILE` through the built binary: what would go to stderr is appended to FILE, notes and errors
    /// included, and nothing already there is lost. No server: the endpoint refuses the connection.
    @Test func logFileTakesWhatStderrWouldShow() async throws {
        let scratch = try ScratchDirectory("logfile")
        defer { scratch.remove() }
        let log = scratch.file("replicator.log")
        try Data("an earlier line\n".utf8).write(to: URL(fileURLWithPath: log))
        let run = try await CLIRunner.run(["size", "-l", log, "-c", "4096", "127.0.0.1:1"])
        #expect(run.status == 4)
        #expect(run.stderr.isEmpty, "\(run.stderr)")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.hasPrefix("an earlier line\n"))
        #expect(text.contains("note: -c/--chunksize is ignored"))
        #expect(text.contains("error: cannot reach http://127.0.0.1:1"))
    }
}
