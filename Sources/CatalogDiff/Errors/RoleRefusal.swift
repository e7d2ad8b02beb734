/// A 403 of Glance's default policy that a role would have allowed, recognised from Glance's message, so the
/// report can name the role the replicating credentials lack instead of a bare "HTTP 403".
///
/// With the `member` role Glance (new default RBAC) refuses to make an image public (`publicize_image`),
/// to create one owned by another project, and to run copy-image; each needs `admin`.
public struct RoleRefusal: Sendable, Hashable {
    /// The policy (or action) refused, as Glance names it.
    public var policy: String
    /// The role Glance's default policy requires for it.
    public var role: String

    /// Glance's messages: "You are not authorized to complete publicize_image action.", "You are not
    /// permitted to create images owned by 'x'.", "... copy_image ...".
    public init?(glanceMessage message: String) {
        let known: [(needle: String, policy: String)] = [
            ("publicize_image", "publicize_image"),
            ("copy_image", "copy_image"),
            ("communitize_image", "communitize_image"),
            ("images owned by", "setting the owner"),
        ]
        guard let match = known.first(where: { message.contains($0.needle) }) else { return nil }
        policy = match.policy
        role = "admin"
    }
}
