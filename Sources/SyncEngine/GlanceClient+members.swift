import NIOHTTP1

extension GlanceClient {
    private struct MemberList: Decodable {
        struct Member: Decodable {
            var memberID: String

            enum CodingKeys: String, CodingKey {
                case memberID = "member_id"
            }
        }

        var members: [Member]
    }

    /// `GET /v2/images/{id}/members`: the project ids the image is shared with (any status).
    func members(of id: String) async throws -> [String] {
        let path = "/v2/images/\(Self.segment(id))/members"
        let response = try await send(.GET, path, expected: [200])
        return try decode(MemberList.self, from: response, request: "GET \(path)").members.map(\.memberID)
    }

    /// `POST /v2/images/{id}/members`; a 409 (already a member) is success.
    func addMember(_ project: String, to id: String) async throws {
        _ = try await sendJSON(
            .POST,
            "/v2/images/\(Self.segment(id))/members",
            json: ["member": project],
            expected: [200, 409]
        )
    }
}
