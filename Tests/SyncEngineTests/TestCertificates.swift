import Foundation
import NIOSSL

/// Certificates made for the tests by the openssl command-line tool, once per test process: a CA, a server
/// certificate it signed for 127.0.0.1, one it signed for another name, and a self-signed one.
struct TestCertificates: Sendable {
    let folder: String

    var caFile: String { "\(folder)/ca.pem" }

    /// Made on first use; nil (with the reason) when openssl is missing or fails.
    static let shared: Result<TestCertificates, OpenSSLFailure> = make()

    struct OpenSSLFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The server side of `name` (signed, wrong-name or self-signed).
    func serverContext(_ name: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile("\(folder)/\(name).pem").map {
            NIOSSLCertificateSource.certificate($0)
        }
        let key = try NIOSSLPrivateKey(file: "\(folder)/\(name).key", format: .pem)
        return try NIOSSLContext(
            configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        )
    }

    private static func make() -> Result<TestCertificates, OpenSSLFailure> {
        let folder = ScratchDirectory.unusedURL("certs").path
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try run(
                ["req", "-x509"] + ec + [
                    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Staged Test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                ],
                in: folder
            )
            for (name, subjectAltName) in [("signed", "IP:127.0.0.1"), ("wrong-name", "DNS:glance.other.example")] {
                try run(
                    ["req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)"],
                    in: folder
                )
                try "subjectAltName=\(subjectAltName)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                    .write(toFile: "\(folder)/\(name).ext", atomically: true, encoding: .utf8)
                try run(
                    [
                        "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                        "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext",
                    ],
                    in: folder
                )
            }
            try run(
                ["req", "-x509"] + ec + [
                    "-keyout", "self-signed.key", "-out", "self-signed.pem", "-days", "2", "-subj",
                    "/CN=staged-glance", "-addext", "subjectAltName=IP:127.0.0.1",
                ],
                in: folder
            )
            return .success(TestCertificates(folder: folder))
        } catch let error as OpenSSLFailure {
            return .failure(error)
        } catch {
            return .failure(OpenSSLFailure(description: "\(error)"))
        }
    }

    private static func run(_ arguments: [String], in folder: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OpenSSLFailure(description: "openssl \(arguments.joined(separator: " ")): \(text)")
        }
    }
}
