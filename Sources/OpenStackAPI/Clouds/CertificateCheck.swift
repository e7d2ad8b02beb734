import CLibCrypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Why a server's TLS certificate was refused, in words an operator can act on.
///
/// The TLS library only says "CERTIFICATE_VERIFY_FAILED" (with a source path of its build). After such a
/// failure the server is contacted once more, with nothing sent but a TLS ClientHello, to read the chain it
/// presents; OpenSSL's verifier then checks that chain against the same trust roots and host name and names
/// the check that failed (self-signed, unknown issuer, expired, name mismatch).
enum CertificateCheck {
    /// What went wrong, ready for an error line.
    struct Finding: Sendable, Hashable {
        /// The certificate's subject (and issuer when it is not self-issued), e.g. `CN=localhost`.
        var certificate: String?
        /// The failed check, as OpenSSL words it (e.g. "self-signed certificate").
        var problem: String
        /// What the operator can do about it.
        var hint: String
    }

    /// Whether an error of the HTTP client is a refused server certificate (rather than a refused connection).
    static func isRefusedCertificate(_ error: any Error) -> Bool {
        let text = "\(error)"
        return text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("failedToValidateHostname")
    }

    /// The reason code of a failed TLS handshake (e.g. "wrong version number"), without the library's
    /// numbers and source paths; nil when the error is not a TLS error.
    static func handshakeReason(_ error: any Error) -> String? {
        guard error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError else { return nil }
        let text = "\(error)"
        guard let range = text.range(of: "OPENSSL_internal:") else { return "TLS error" }
        let reason = text[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return reason.replacingOccurrences(of: "_", with: " ").lowercased()
    }

    /// The finding for the server of `url`, checked with `tls`'s trust roots.
    static func diagnose(url: String, tls: CloudConfig.TLS, hint caHint: String) async -> Finding {
        guard let components = URLComponents(string: url), let host = components.host else {
            return Finding(certificate: nil, problem: "the certificate was refused", hint: caHint)
        }
        let bareHost = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let chain = await presentedChain(host: bareHost, port: components.port ?? 443, tls: tls)
        return verify(chain: chain, host: bareHost, caFile: tls.caFile, caHint: caHint)
    }

    /// Checks `chain` (DER, the server's certificate first) with OpenSSL: trusted by `caFile` (or the
    /// system CAs), valid now, and naming `host`.
    static func verify(chain: [[UInt8]], host: String, caFile: String?, caHint: String) -> Finding {
        let certificates = chain.compactMap { der -> OpaquePointer? in
            der.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_X509(nil, &cursor, buffer.count)
            }
        }
        defer {
            for certificate in certificates { X509_free(certificate) }
        }
        guard let leaf = certificates.first else {
            return Finding(certificate: nil, problem: "the certificate was refused", hint: caHint)
        }
        let subject = name(X509_get_subject_name(leaf))
        let issuer = name(X509_get_issuer_name(leaf))
        let certificate = subject == issuer ? subject : "\(subject), issued by \(issuer)"
        guard let store = X509_STORE_new(), let context = X509_STORE_CTX_new(), let untrusted = OPENSSL_sk_new_null()
        else {
            return Finding(certificate: certificate, problem: "the certificate was refused", hint: caHint)
        }
        defer {
            X509_STORE_CTX_free(context)
            X509_STORE_free(store)
            OPENSSL_sk_free(untrusted)
        }
        if let caFile {
            X509_STORE_load_file(store, caFile)
        } else {
            X509_STORE_set_default_paths(store)
        }
        for intermediate in certificates.dropFirst() { OPENSSL_sk_push(untrusted, UnsafeRawPointer(intermediate)) }
        X509_STORE_CTX_init(context, store, leaf, untrusted)
        let parameters = X509_STORE_CTX_get0_param(context)
        if isIPAddress(host) {
            X509_VERIFY_PARAM_set1_ip_asc(parameters, host)
        } else {
            X509_VERIFY_PARAM_set1_host(parameters, host, 0)
        }
        guard X509_verify_cert(context) != 1 else {
            return Finding(certificate: certificate, problem: "the certificate was refused", hint: caHint)
        }
        let code = X509_STORE_CTX_get_error(context)
        let problem = String(cString: X509_verify_cert_error_string(Int(code)))
        let hint: String
        switch code {
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            hint = "it does not name \(host): connect by a name the certificate holds"
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID:
            hint = "the server's certificate must be renewed (or this host's clock is wrong)"
        default:
            hint = caHint
        }
        return Finding(certificate: certificate, problem: problem, hint: hint)
    }

    /// `CN=name, O=org` from OpenSSL's one-line `/CN=name/O=org`.
    private static func name(_ name: OpaquePointer?) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        guard let name, X509_NAME_oneline(name, &buffer, Int32(buffer.count)) != nil else { return "?" }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "/").joined(separator: ", ")
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
    }

    /// The chain the server presents, read by a handshake that is broken off as soon as it arrives.
    static func presentedChain(host: String, port: Int, tls: CloudConfig.TLS) async -> [[UInt8]] {
        var configuration = tls.configuration ?? TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        guard let context = try? NIOSSLContext(configuration: configuration) else { return [] }
        let captured = CapturedChain()
        let serverName = isIPAddress(host) ? nil : host
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = try NIOSSLClientHandler(
                            context: context,
                            serverHostname: serverName,
                            customVerificationCallback: { certificates, promise in
                                captured.set(certificates.compactMap { try? $0.toDERBytes() })
                                promise.succeed(.failed)
                            }
                        )
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: host, port: port)
                .get()
            let limit = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
            limit.cancel()
        } catch {
            return captured.chain
        }
        return captured.chain
    }

    /// The chain seen by the verification callback (on the channel's event loop), read after the handshake.
    private final class CapturedChain: Sendable {
        private let state = Mutex<[[UInt8]]>([])
        func set(_ chain: [[UInt8]]) { state.withLock { $0 = chain } }
        var chain: [[UInt8]] { state.withLock { $0 } }
    }
}
