import Foundation

/// A fresh directory under the temporary folder for one test's dumps and report files, removed at the end.
package struct ScratchDirectory {
    package let url: URL

    package init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
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
