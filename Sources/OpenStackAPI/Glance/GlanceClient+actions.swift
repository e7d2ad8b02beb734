import NIOHTTP1

extension GlanceClient {
    /// The status actions of Glance's API (`POST /v2/images/{id}/actions/{action}`, admin by default policy).
    public enum ImageAction: String, Sendable {
        case deactivate
        case reactivate
    }

    /// Deactivates or reactivates an image; Glance answers 204, and doing it twice is a no-op.
    public func perform(_ action: ImageAction, on id: String) async throws {
        _ = try await send(.POST, "/v2/images/\(id)/actions/\(action.rawValue)", expected: [204])
    }
}
