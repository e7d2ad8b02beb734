import Foundation

/// `scripts/fault-proxy` between the tool and a real region: breaks downloads on purpose and counts
/// what the source sent.
final class FaultProxy {
    let process = Process()
    let port: Int
    let statsFile: URL

    /// Starts the proxy in front of `upstream` (a region root URL) with the given fault flags.
    init(upstream: String, _ flags: [String]) throws {
        let url = try requireURLImpl(upstream)
        statsFile = FileManager.default.temporaryDirectory.appendingPathComponent("fault-proxy-\(UUID().uuidString).json")
        var scripts = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { scripts.deleteLastPathComponent() }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", scripts.appendingPathComponent("scripts/fault-proxy").path, "--upstream", "\(url.host!):\(url.port!)", "--stats", statsFile.path]
            + flags
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableLine(), as: UTF8.self)
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw CLIRunner.Failure(description: "fault-proxy did not start: '\(line)'")
        }
        self.port = port
    }

    var root: String { "http://127.0.0.1:\(port)" }

    /// The proxy's counters: connections, downloads, download_body_bytes, resets, flips, fail_503, ranges.
    func stats() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: statsFile)) as? [String: Any] ?? [:]
    }

    func count(_ key: String) throws -> Int { try stats()[key] as? Int ?? -1 }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: statsFile)
    }
}

private func requireURLImpl(_ text: String) throws -> URL {
    guard let url = URL(string: text), url.host != nil, url.port != nil else {
        throw CLIRunner.Failure(description: "not a URL with a port: \(text)")
    }
    return url
}

extension FileHandle {
    /// Reads one line (the proxy's `PORT n`), byte by byte so nothing after it is consumed.
    fileprivate func availableLine() -> Data {
        var line = Data()
        while let byte = try? read(upToCount: 1), let first = byte.first, first != UInt8(ascii: "\n") {
            line.append(first)
        }
        return line
    }
}
