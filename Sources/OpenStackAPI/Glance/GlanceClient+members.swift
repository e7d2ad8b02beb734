import CatalogDiff
import NIOHTTP1

extension GlanceClient {
    private struct MemberList: Decodable {
        struct Member: Decodable {
            var memberID: String
            var status: String?

            enum CodingKeys: String, CodingKey {
                case memberID = "member_id"
                case status
            }
        }

        var members: [Member]
    }

    /// `GET /v2/images/{id}/members`: the projects the image is shared with (any status), with their status.
    package func members(of id: String) async throws -> [ImageMember] {
        let path = "/v2/images/\(Self.segment(id))/members"
        let response = try await send(.GET, path, expected: [200])
        return try decode(MemberList.self, from: response, request: "GET \(path)").members.map {
            ImageMember(project: $0.memberID, status: $0.status)
        }
    }

    /// `POST /v2/images/{id}/members`; a 409 (already a member) is success.
    package func addMember(_ project: String, to id: String) async throws {
        _ = try await sendJSON(
            .POST,
            "/v2/images/\(Self.segment(id))/members",
            json: ["member": project],
            expected: [200, 409]
        )
    }

    /// `DELETE /v2/images/{id}/members/{member}`; a 404 (not a member) is success.
    package func removeMember(_ project: String, from id: String) async throws {
        _ = try await send(
            .DELETE,
            "/v2/images/\(Self.segment(id))/members/\(try Self.memberSegment(project))",
            expected: [204, 404]
        )
    }

    /// A member id (as a server listed it) as the last segment of a URL. An empty or dot-only one is refused:
    /// `/members/..`, once a proxy on the path resolves it (percent-encoded or not), is the image itself, and a
    /// DELETE there would delete the image, not a member.
    static func memberSegment(_ project: String) throws(ReplicatorError) -> String {
        guard project.contains(where: { $0 != "." }) else {
            throw ReplicatorError.cannotRepair("member id '\(project)' cannot name a member in a URL: not removed")
        }
        return segment(project)
    }
}
