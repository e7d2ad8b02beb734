import Foundation
import Testing

/// A local fault against real Glance regions, through the built binary: the spool's disk refuses a write. The
/// run reports the image failed (exit 3) with a line naming the spool file, keeps the target record its upload
/// was feeding (no DELETE: a later run reuses it, as after a broken connection) and deletes nothing else; the
/// next run, with room on the disk, completes the copy from that record.
///
/// Unprivileged, as CI runs: the binary runs under RLIMIT_FSIZE (`ulimit -f`, SIGXFSZ ignored), so a write past
/// the limit fails with EFBIG, as one on a full disk fails with ENOSPC: the same local-fault path.
extension ReplicationTests {
    @Suite("Local faults keep the target record", .serialized)
    struct LocalFaultTests {
        let a: GlanceTestClient
        let b: GlanceTestClient

        init() async throws {
            (a, b) = try await RealRegions.emptiedAB()
        }

        /// Runs the binary with files limited to `kib` KiB (writes past it fail with EFBIG, not a signal).
        static func fileSizeLimited(_ kib: Int) -> [String] {
            ["bash", "-c", "trap '' XFSZ; ulimit -f \(kib) && exec \"$@\"", "file-size-limited"]
        }

        @Test func aSpoolWriteTheDiskRefusesKeepsTheTargetRecordAndDeletesNothing() async throws {
            let id = newID()
            let data = randomData(4 << 20)
            try await a.seed(id, data: data, ["name": "spool-fault", "visibility": "public"])
            let neighbour = newID()
            let neighbourData = randomData(10_000)
            try await b.seed(neighbour, data: neighbourData, ["name": "native-of-b", "visibility": "public"])
            let scratch = try ScratchDirectory("local-fault")
            defer { scratch.remove() }
            let state = ["--state", scratch.file("state.sqlite"), "--spool", "auto", "--spool", scratch.file("spool")]

            let limited = try await CLIRunner.run(
                ["replicate", a.root, b.root, "--format", "json"] + state,
                launcher: Self.fileSizeLimited(1024)
            )
            #expect(limited.status == 3, "stderr: \(limited.stderr)")
            let entry = try #require(try limited.images()[id], "stdout: \(limited.stdout)")
            #expect(entry["result"] as? String == "failed")
            let error = entry["error"] as? String ?? ""
            #expect(error.contains("spool file") && error.contains("File too large"), "error: \(error)")
            // The record the upload was feeding is kept (Glance returns it to `queued` once it has noticed the
            // failed upload; on MariaDB it may still say `saving` for a moment), nothing else is touched.
            let kept = try #require(try await b.imageOnceSettled(id), "the target record was deleted")
            #expect(kept["status"] as? String == "queued")
            #expect(try await b.image(neighbour)?["status"] as? String == "active")
            #expect(try await b.data(neighbour) == neighbourData)
            #expect(try await a.image(id)?["status"] as? String == "active")

            // With room on the disk, the next run copies into the kept record.
            let next = try await CLIRunner.run(["replicate", a.root, b.root, "--format", "json"] + state)
            #expect(next.status == 0, "stderr: \(next.stderr)")
            #expect(try await b.image(id)?["status"] as? String == "active")
            #expect(try await b.data(id) == data)
        }
    }
}
