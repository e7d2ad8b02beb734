import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Gets project-scoped tokens from Keystone v3 (`POST /v3/auth/tokens`) for one cloud.
///
/// The request body carries the password or secret, so neither the body nor the answer's
/// `X-Subject-Token` is ever logged; errors name the cloud and Keystone's message only.
public struct KeystoneClient: Sendable {
    public let cloud: CloudConfig
    let http: HTTPClient
    let logger: Logger

    public init(cloud: CloudConfig, http: HTTPClient, logger: Logger) {
        self.cloud = cloud
        self.http = http
        var logger = logger
        logger[metadataKey: "cloud"] = "\(cloud.name)"
        self.logger = logger
    }

    /// A new token (with its catalog) for the cloud's credentials.
    public func issueToken() async throws -> KeystoneToken {
        let url = cloud.authURL + "/auth/tokens"
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "glance-replicator")
        request.tlsConfiguration = cloud.tls.configuration
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: Self.body(cloud.auth))))
        logger.debug("authenticating", metadata: ["auth_url": "\(cloud.authURL)", "method": "\(cloud.auth.method)"])
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(60), logger: logger)
            bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw await GlanceClient.transportFailure(error, url: cloud.authURL, tls: cloud.tls)
        }
        // A 307/308 would have the password POSTed again to the host it names: never followed.
        try GlanceClient.refuseRedirect(response, endpoint: cloud.authURL, request: "POST /auth/tokens")
        let status = Int(response.status.code)
        switch status {
        case 201, 200:
            guard let subject = response.headers.first(name: "X-Subject-Token"), !subject.isEmpty else {
                throw ReplicatorError.malformedResponse(
                    cloud.authURL,
                    request: "POST /auth/tokens",
                    detail: "no X-Subject-Token"
                )
            }
            let token: KeystoneToken
            do {
                token = try KeystoneToken(subjectToken: subject, body: Data(buffer: bytes))
            } catch {
                throw ReplicatorError.malformedResponse(
                    cloud.authURL,
                    request: "POST /auth/tokens",
                    detail: GlanceClient.describe(decoding: error)
                )
            }
            logger.debug("authenticated", metadata: ["token": "\(token)"])
            return token
        case 401, 403, 404:
            // 404: token auth with an expired token ("Failed to validate token").
            throw ReplicatorError.keystoneRefused(
                cloud: cloud.name,
                authURL: cloud.authURL,
                status: status,
                detail: GlanceClient.serverMessage(bytes)
            )
        default:
            throw ReplicatorError.unexpectedResponse(
                cloud.authURL,
                request: "POST /auth/tokens",
                status: status,
                detail: GlanceClient.serverMessage(bytes)
            )
        }
    }

    /// The v3 auth request for the cloud's method (application credentials must not carry a scope).
    static func body(_ auth: CloudConfig.Auth) -> [String: Any] {
        switch auth {
        case .password(let user, let password, let project):
            var userObject = reference(user)
            userObject["password"] = password
            return [
                "auth": [
                    "identity": ["methods": ["password"], "password": ["user": userObject]],
                    "scope": ["project": reference(project)],
                ]
            ]
        case .applicationCredential(let id, let name, let user, let secret):
            var credential: [String: Any] = ["secret": secret]
            if let id {
                credential["id"] = id
            } else {
                credential["name"] = name
                if let user { credential["user"] = reference(user) }
            }
            return [
                "auth": [
                    "identity": ["methods": ["application_credential"], "application_credential": credential]
                ]
            ]
        case .token(let token, let project):
            return [
                "auth": [
                    "identity": ["methods": ["token"], "token": ["id": token]],
                    "scope": ["project": reference(project)],
                ]
            ]
        }
    }

    /// `{"id": ...}` or `{"name": ..., "domain": {"id"|"name": ...}}`; the domain defaults to the id `default`.
    static func reference(_ reference: CloudConfig.Reference) -> [String: Any] {
        if let id = reference.id { return ["id": id] }
        var object: [String: Any] = ["name": reference.name ?? ""]
        if let domainID = reference.domainID {
            object["domain"] = ["id": domainID]
        } else if let domainName = reference.domainName {
            object["domain"] = ["name": domainName]
        } else {
            object["domain"] = ["id": "default"]
        }
        return object
    }
}
