import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// https:// endpoints as an openstack CLI user names them: a self-signed server (`openssl s_server`, with a
/// certificate made here by openssl), refused in one plain line, accepted with --os-cacert or OS_CACERT.
@Suite("TLS of URL endpoints from the command line", .serialized)
struct TLSCommandLineTests {
    /// An `openssl s_server -www` on 127.0.0.1 with a self-signed certificate for 127.0.0.1 (CN=cli-staged):
    /// its answers are HTML status pages, so a run that gets past TLS fails on the listing instead.
    final class TLSServer {
        let folder: URL
        let port: Int
        let child: ChildProcess

        init() throws {
            folder = ScratchDirectory.unusedURL("tls-cli")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let made = try CLIRunner.runTool(
                [
                    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", folder.appendingPathComponent("key.pem").path, "-out",
                    folder.appendingPathComponent("cert.pem").path, "-days", "2", "-subj", "/CN=cli-staged",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                ],
                in: folder
            )
            guard made == 0 else { throw CLIRunner.Failure(description: "openssl req failed (\(made))") }
            // A free port: bound by the kernel, released for s_server.
            port = try { try HungListener().port }()
            child = try ChildProcess(
                [
                    "openssl", "s_server", "-quiet", "-www", "-accept", "127.0.0.1:\(port)", "-cert",
                    folder.appendingPathComponent("cert.pem").path, "-key",
                    folder.appendingPathComponent("key.pem").path,
                ],
                environment: ProcessInfo.processInfo.environment,
                stdout: folder.appendingPathComponent("server.out").path,
                stderr: folder.appendingPathComponent("server.err").path
            )
            try CLIRunner.waitForPort(port)
        }

        var url: String { "https://127.0.0.1:\(port)" }
        var caFile: String { folder.appendingPathComponent("cert.pem").path }

        deinit {
            child.kill(SIGTERM)
            _ = child.wait()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    @Test func aSelfSignedEndpointIsOnePlainLine() async throws {
        let server = try TLSServer()
        let result = try await CLIRunner.run(["size", server.url])
        #expect(result.status == 4)
        #expect(
            result.stderr
                == "glance-replicator: error: cannot verify the TLS certificate of \(server.url) (CN=cli-staged): "
                + "self-signed certificate; give the CA bundle that signed it with --os-cacert FILE or OS_CACERT "
                + "(cacert: in clouds.yaml for a cloud)\n"
        )
    }

    @Test(arguments: ["option", "environment"])
    func aNamedCABundleIsTrusted(how: String) async throws {
        let server = try TLSServer()
        let result =
            how == "option"
            ? try await CLIRunner.run(["size", "--os-cacert", server.caFile, server.url])
            : try await CLIRunner.run(["size", server.url], environment: ["OS_CACERT": server.caFile])
        // Past TLS: the HTML status page s_server answers is not a Glance listing.
        #expect(result.status == 4)
        #expect(result.stderr.contains("GET /v2/images on \(server.url) returned an unusable response"))
        #expect(!result.stderr.contains("certificate"))
    }

    @Test func aMissingCABundleIsAUsageError() async throws {
        let result = try await CLIRunner.run(["size", "--os-cacert", "/nonexistent/ca.pem", "https://127.0.0.1:9"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "glance-replicator: error: cacert /nonexistent/ca.pem: no such readable file (--os-cacert or OS_CACERT)\n"
        )
    }

    @Test func aTokenOnTheCommandLineIsWarnedAbout() async throws {
        let result = try await CLIRunner.run(["size", "--token", "gAAAA-visible", "http://127.0.0.1:9"])
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("--token on the command line") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("OS_AUTH_TOKEN") == true)
        #expect(warnings.first?.contains("clouds.yaml") == true)
        #expect(!result.stderr.contains("gAAAA-visible"))
        let quiet = try await CLIRunner.run(
            ["size", "http://127.0.0.1:9"],
            environment: ["OS_AUTH_TOKEN": "gAAAA-env"]
        )
        #expect(!quiet.stderr.contains("--token"))
    }
}

extension CLIRunner {
    /// Runs a helper tool (openssl) to completion; its exit status.
    static func runTool(_ arguments: [String], in folder: URL) throws -> Int32 {
        let child = try ChildProcess(
            arguments,
            environment: ProcessInfo.processInfo.environment,
            stdout: folder.appendingPathComponent("tool.out").path,
            stderr: folder.appendingPathComponent("tool.err").path
        )
        return child.wait()
    }

    /// Waits until 127.0.0.1:`port` accepts connections (at most 10 s).
    static func waitForPort(_ port: Int) throws {
        for _ in 0..<200 {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            close(descriptor)
            if connected == 0 { return }
            usleep(50_000)
        }
        throw Failure(description: "nothing listens on 127.0.0.1:\(port)")
    }
}
