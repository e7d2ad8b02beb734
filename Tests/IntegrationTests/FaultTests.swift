import Foundation
import Testing

/// Broken connections between the tool and a real Glance source, through `scripts/fault-proxy`.
/// Shares the regions with `ReplicationTests`, so it is nested in the same serialized suite.
extension ReplicationTests {
    @Suite("Faults on the source link", .serialized)
    struct FaultTests {
        let a: GlanceTestClient
        let b: GlanceTestClient
        static let mib = 1 << 20

        init() async throws {
            (a, b) = try await RealRegions.emptiedAB()
        }

        func seedOne(size: Int) async throws -> (String, Data) {
            let id = newID()
            let data = randomData(size)
            try await a.seed(id, data: data, ["name": "flaky-\(size)", "visibility": "public"])
            return (id, data)
        }

        @Test func closedConnectionsResumeWithRangeAndFetchNothingTwice() async throws {
            let size = 24 * Self.mib + 5
            let (id, data) = try await seedOne(size: size)
            let proxy = try FaultProxy(
                upstream: a.root,
                // At 50 MB/s, as over a WAN link: at loopback speed the client's socket buffer holds up to a
                // MiB or more unread when the peer closes, and the connection's end drops it (measured: up to
                // 1.25 MiB a cut), which is a property of the link, not of the resume logic under test.
                ["--resets", "3", "--reset-after", "\(4 * Self.mib)", "--cut", "fin", "--throttle", "50000000"]
            )
            let run = try await CLIRunner.run(["replicate", proxy.root, b.root, "--format", "json"])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try proxy.count("resets") == 3)
            let ranges = (try proxy.stats()["ranges"] as? [Any] ?? []).map { $0 as? String }
            #expect(ranges.count == 4)
            #expect(ranges.dropFirst().allSatisfy { $0?.hasPrefix("bytes=") == true }, "\(ranges)")
            // K cuts may cost at most K MiB of re-read data.
            let read = try proxy.count("download_body_bytes")
            #expect(read <= size + 3 * Self.mib, "read \(read) bytes for \(size)")
            #expect(try await b.data(id) == data)
        }

        @Test func resetConnectionsResumeAndTheCopyIsExact() async throws {
            let (id, data) = try await seedOne(size: 16 * Self.mib)
            let proxy = try FaultProxy(
                upstream: a.root,
                ["--resets", "2", "--reset-after", "\(3 * Self.mib)", "--cut", "rst"]
            )
            let run = try await CLIRunner.run(["replicate", proxy.root, b.root])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try proxy.count("resets") == 2)
            #expect(try await b.data(id) == data)
            #expect(try await b.image(id)?["status"] as? String == "active")
        }

        @Test func sourceThatCannotSeekIsReadAgainFromTheStart() async throws {
            let size = 8 * Self.mib
            let (id, data) = try await seedOne(size: size)
            let proxy = try FaultProxy(
                upstream: a.root,
                ["--resets", "1", "--reset-after", "\(2 * Self.mib)", "--cut", "fin", "--refuse-range", "1"]
            )
            let run = try await CLIRunner.run(["replicate", proxy.root, b.root])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try proxy.count("range_refused") == 1)
            #expect(try await b.data(id) == data)
        }

        @Test func flippedByteIsCaughtAndReadAgain() async throws {
            let (id, data) = try await seedOne(size: 3 * Self.mib)
            let proxy = try FaultProxy(upstream: a.root, ["--flips", "1", "--flip-at", "1000000"])
            let run = try await CLIRunner.run(["replicate", proxy.root, b.root, "--format", "json"])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try proxy.count("flips") == 1)
            #expect(try proxy.count("downloads") == 2, "one corrupt read, one fresh read")
            #expect(try await b.data(id) == data)
        }

        @Test func persistentCorruptionFailsTheImageAndLeavesNothing() async throws {
            let (id, _) = try await seedOne(size: 2 * Self.mib)
            let proxy = try FaultProxy(upstream: a.root, ["--flips", "5", "--flip-at", "123"])
            let run = try await CLIRunner.run(["replicate", proxy.root, b.root, "--format", "json"])
            #expect(run.status == 3, "stderr: \(run.stderr)")
            let entry = try #require(try run.images()[id])
            #expect(entry["result"] as? String == "failed")
            #expect((entry["error"] as? String)?.contains("md5") == true)
            #expect(try await b.image(id) == nil)
        }

        @Test func serviceUnavailableIsRetried() async throws {
            let (id, data) = try await seedOne(size: Self.mib)
            let proxy = try FaultProxy(upstream: a.root, ["--fail-503", "2", "--retry-after", "1"])
            let run = try await CLIRunner.run(["replicate", proxy.root, b.root])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try proxy.count("fail_503") == 2)
            #expect(try await b.data(id) == data)
        }
    }
}
