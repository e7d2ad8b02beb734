import Foundation

/// A fresh directory for one test's dumps, journals, spools, job files and report files, removed at the end.
/// Every scratch path of the test process lives under one folder of its own (`processRoot`), removed when the
/// process exits: what a test does not remove itself (a failed test's files) does not outlive the run.
package struct ScratchDirectory {
    package let url: URL

    package init(_ label: String) throws {
        url = Self.unusedURL(label)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path under `processRoot` that nothing uses yet, not created: for a file, or a folder the binary makes.
    package static func unusedURL(_ label: String) -> URL {
        processRoot.appendingPathComponent("\(label)-\(UUID().uuidString)")
    }

    /// `TMPDIR/glance-replicator-tests-PID`, made at first use and removed at the process's exit.
    package static let processRoot: URL = {
        atexit {
            try? FileManager.default.removeItem(at: ScratchDirectory.rootURL(of: getpid()))
        }
        let root = rootURL(of: getpid())
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }()

    static func rootURL(of pid: pid_t) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("glance-replicator-tests-\(pid)")
    }

    package var path: String { url.path }

    package func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    package func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The repository's root (for scripts/ and schema/), from this file's place in it.
package enum Repository {
    package static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Runs a repository script; returns its exit status and what it printed on stderr.
    package static func run(_ script: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let scratch = try ScratchDirectory("script")
        defer { scratch.remove() }
        let child = try ChildProcess(
            [root.appendingPathComponent(script).path] + arguments,
            environment: ProcessInfo.processInfo.environment,
            stdout: scratch.file("out"),
            stderr: scratch.file("err")
        )
        let status = child.wait()
        return (status, (try? String(contentsOfFile: scratch.file("err"), encoding: .utf8)) ?? "")
    }
}
