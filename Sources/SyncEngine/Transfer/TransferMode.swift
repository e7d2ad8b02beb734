/// Who moves an image's bytes (`--transfer-mode`).
public enum TransferMode: String, Sendable, Hashable, CaseIterable {
    /// This tool reads the source and uploads to each target (through the spool, or streamed).
    case stream
    /// The target Glance pulls the image from the source region itself (`glance-download`): both sides must
    /// be regions of one cloud (one Keystone), named as `cloud:NAME/REGION`.
    case glanceDownload = "glance-download"
    /// The target Glance fetches `SOURCE/v2/images/{id}/file` itself (`web-download`): only for a source that
    /// serves image data without a token (a noauth Glance, or one behind an anonymous read-only proxy), and
    /// only where the target's `[import_filtering_opts]` allow the source's host and port.
    case webDownload = "web-download"
    /// `glance-download` where a target can (same cloud, method offered), streaming elsewhere.
    case auto
}
