import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `scripts/fault-proxy` between the tool and a real region: breaks downloads on purpose and counts
/// what the source sent.
package final class FaultProxy {
    package let child: ChildProcess
    package let port: Int
    package let statsFile: URL

    /// Starts the proxy in front of `upstream` (a region root URL) with the given fault flags.
    package init(upstream: String, _ flags: [String]) throws {
        let url = try requireURLImpl(upstream)
        let base = ScratchDirectory.unusedURL("fault-proxy")
        statsFile = base.appendingPathExtension("json")
        let output = base.appendingPathExtension("out")
        var scripts = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { scripts.deleteLastPathComponent() }
        let arguments =
            [
                "python3", scripts.appendingPathComponent("scripts/fault-proxy").path, "--upstream",
                "\(url.host!):\(url.port!)", "--stats", statsFile.path,
            ] + flags
        child = try ChildProcess(
            arguments,
            environment: ProcessInfo.processInfo.environment,
            stdout: output.path,
            stderr: base.appendingPathExtension("err").path
        )
        var found: Int?
        for _ in 0..<100 where found == nil {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, line.hasPrefix("PORT ") {
                found = Int(line.dropFirst(5))
            } else {
                usleep(50_000)
            }
        }
        guard let found else {
            child.kill()
            _ = child.wait()
            throw CLIRunner.Failure(description: "fault-proxy did not start")
        }
        port = found
    }

    package var root: String { "http://127.0.0.1:\(port)" }

    /// The proxy's counters: connections, downloads, download_body_bytes, resets, flips, fail_503, ranges.
    package func stats() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: statsFile)) as? [String: Any] ?? [:]
    }

    package func count(_ key: String) throws -> Int { try stats()[key] as? Int ?? -1 }

    private var stopped = false

    /// Stops the proxy (its counters stay readable); the port is free again afterwards.
    package func stop() {
        guard !stopped else { return }
        stopped = true
        child.kill(SIGTERM)  // the proxy writes its final counters on SIGTERM
        _ = child.wait()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: statsFile)
    }
}

private func requireURLImpl(_ text: String) throws -> URL {
    guard let url = URL(string: text), url.host != nil, url.port != nil else {
        throw CLIRunner.Failure(description: "not a URL with a port: \(text)")
    }
    return url
}
