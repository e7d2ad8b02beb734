import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Two jobs with the same source share spool files; a file belongs to one process at a time, so the job that
/// finds it held skips the image (exit 3, one line) and makes nothing on its targets, while the holder's copy
/// completes with the right bytes.
@Suite(
    "Spool files belong to one process",
    .serialized,
    .needsServers("GLANCE_REGION_A_URL", "GLANCE_REGION_B_URL", "GLANCE_REGION_C_URL")
)
struct SpoolLockTests {
    @Test func aSecondJobSkipsAnImageWhoseSpoolFileIsHeld() async throws {
        let (a, b) = try await RealRegions.emptiedAB()
        let c = try #require(RealRegions.c)
        try await c.wipe()
        let id = newID()
        let data = randomData(6 * 1024 * 1024 + 3)
        try await a.seed(id, data: data, ["name": "held", "visibility": "public"])
        let spool = try ScratchDirectory("shared-spool")
        defer { spool.remove() }

        // Job 1 (A to B) spools slowly: 6 MiB at 1 MiB/s.
        let first = try CLIRunner.start([
            "replicate", a.root, b.root, "--spool", "always", "--spool", spool.path, "--bwlimit", "1M",
        ])
        var spooling = false
        for _ in 0..<200 where !spooling {
            let files =
                FileManager.default.enumerator(atPath: spool.path)?.compactMap { $0 as? String }
                .filter { $0.hasSuffix("/\(id).part") } ?? []
            spooling = files.contains {
                (try? FileManager.default.attributesOfItem(atPath: spool.file($0))[.size] as? Int ?? 0) ?? 0 > 0
            }
            if !spooling { usleep(50_000) }
        }
        #expect(spooling, "the first job never started spooling")

        // Job 2 (A to C, another lock) needs the same spool file while job 1 holds it.
        let second = try await CLIRunner.run(["replicate", a.root, c.root, "--spool", "always", "--spool", spool.path])
        #expect(second.status == 3, "stderr: \(second.stderr)")
        #expect(second.stderr.contains("in use by another glance-replicator run copying the same image"))
        #expect(try await c.image(id) == nil, "the skipped job created a record on its target")

        let done = try await first.finish()
        #expect(done.status == 0, "stderr: \(done.stderr)")
        #expect(try await b.data(id) == data)
    }
}
