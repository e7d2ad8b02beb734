import AsyncHTTPClient
import CatalogDiff
import NIOHTTP1

extension GlanceClient {
    /// Redirects are never followed (the HTTP client is built with `.disallow`): a 30x is an error naming
    /// its Location, so that neither the token nor the request goes to a host the operator did not name.
    func refuseRedirect(_ response: HTTPClientResponse, _ method: HTTPMethod, _ path: String) throws(ReplicatorError) {
        let request = "\(method.rawValue) \(path.split(separator: "?").first ?? "")"
        try Self.refuseRedirect(response, endpoint: endpoint.root, request: request)
    }

    /// The statuses an HTTP client would follow to their Location (300 is Glance's answer to `GET /versions`,
    /// a document, not a redirect).
    static let redirections: Set<Int> = [301, 302, 303, 305, 307, 308]

    static func refuseRedirect(
        _ response: HTTPClientResponse,
        endpoint: String,
        request: String
    ) throws(ReplicatorError) {
        let status = Int(response.status.code)
        guard redirections.contains(status) else { return }
        throw ReplicatorError.redirectRefused(
            endpoint,
            request: request,
            status: status,
            location: response.headers.first(name: "Location")
        )
    }

    /// A request that got no answer: a refused certificate is diagnosed (not retried), anything else is
    /// the endpoint being unreachable.
    func transportFailure(_ error: any Error) async -> ReplicatorError {
        await Self.transportFailure(error, url: endpoint.root, tls: tls)
    }

    static func transportFailure(_ error: any Error, url: String, tls: CloudConfig.TLS) async -> ReplicatorError {
        guard CertificateCheck.isRefusedCertificate(error) else {
            return .unreachable(url, reason: describe(error))
        }
        let finding = await CertificateCheck.diagnose(url: url, tls: tls, hint: Self.caHint)
        return .certificateRefused(url, certificate: finding.certificate, problem: finding.problem, hint: finding.hint)
    }

    static let caHint =
        "give the CA bundle that signed it with --os-cacert FILE or OS_CACERT (cacert: in clouds.yaml for a cloud)"
}
