import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The spool as a tee (`--spool auto`): uploads fed from memory as the bytes arrive, the file written beside
/// them and read back only by a target that falls behind or repeats its upload. What a user can check: the
/// bytes each side of a fault proxy saw, and the records on the servers.
extension ReplicationTests.TransferTests {
    @Test func aBrokenUploadIsRepeatedFromTheSpoolNotFromTheSource() async throws {
        let size = 6 * Self.mib + 5
        let (id, data) = try await seed(size: size, name: "upload-cut")
        let source = try FaultProxy(upstream: a.root, [])
        let target = try FaultProxy(
            upstream: b.root,
            ["--upload-cuts", "1", "--cut-upload-after", "\(2 * Self.mib)"]
        )
        let state = stateArguments()
        let run = try await CLIRunner.run(["replicate", source.root, target.root] + state)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(try target.count("upload_cuts") == 1)
        #expect(try target.count("uploads") == 2, "the cut upload was sent once more")
        #expect(try target.count("upload_body_bytes") == 2 * Self.mib + size)
        #expect(try source.count("downloads") == 1)
        #expect(try source.count("download_body_bytes") == size, "the repeat came from local disk")
        #expect(try await b.data(id) == data)
        #expect(spoolFiles(state).isEmpty)
    }

    /// Two targets, one held to 1 MiB/s: the fast one is done long before the slow one, which reads what
    /// left memory from the spool file; the source is read once.
    @Test func aTargetThatFallsBehindReadsTheSpoolAndHoldsNoOneBack() async throws {
        let c = try #require(RealRegions.c, "GLANCE_REGION_C_URL is not set: scripts/test starts a third region")
        let size = 8 * Self.mib + 3
        let (id, data) = try await seed(size: size, name: "falls-behind")
        let source = try FaultProxy(upstream: a.root, [])
        let run = try CLIRunner.start(
            ["replicate", source.root, b.root, c.root, "--bwlimit", "\(c.root)=1M"] + stateArguments()
        )
        var slowWhenFastWasDone: String?
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, slowWhenFastWasDone == nil {
            if try await b.image(id)?["status"] as? String == "active" {
                slowWhenFastWasDone = try await c.image(id)?["status"] as? String ?? "absent"
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let result = try await run.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(slowWhenFastWasDone != nil && slowWhenFastWasDone != "active", "\(slowWhenFastWasDone ?? "never")")
        #expect(try source.count("downloads") == 1)
        #expect(try source.count("download_body_bytes") == size)
        #expect(try await b.data(id) == data)
        #expect(try await c.data(id) == data)
    }

    /// The download waits for the upload while it is the slower (a pipe's pace), so more bytes may sit in
    /// buffers between the source and the spool: a run killed then still reads at most 8 MiB twice in all.
    @Test func killedWhileTheTargetHoldsTheDownloadBackFetchesAtMostEightMiBTwice() async throws {
        let size = 40 * Self.mib + 9
        let (id, data) = try await seed(size: size, name: "killed-held")
        let state = stateArguments()
        let source = try FaultProxy(upstream: a.root, [])
        let port = source.port
        let first = try CLIRunner.start(["replicate", source.root, b.root, "--bwlimit", "\(b.root)=4M"] + state)
        try waitForDownload(source, atLeast: 12 * Self.mib)
        first.signal(SIGKILL)
        #expect(try await first.finish().status == 128 + SIGKILL)
        let readBefore = try source.count("download_body_bytes")
        source.stop()

        let again = try FaultProxy(upstream: a.root, ["--listen", "127.0.0.1:\(port)"])
        let second = try await CLIRunner.run(["replicate", again.root, b.root] + state)
        #expect(second.status == 0, "stderr: \(second.stderr)")
        let total = readBefore + (try again.count("download_body_bytes"))
        #expect(total <= size + 8 * Self.mib, "read \(total) bytes over both runs for \(size)")
        #expect(try await b.data(id) == data)
        #expect(spoolFiles(state).isEmpty)
    }
}
