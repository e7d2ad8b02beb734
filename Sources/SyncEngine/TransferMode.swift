/// Who moves an image's bytes (`--transfer-mode`).
public enum TransferMode: String, Sendable, Hashable, CaseIterable {
    /// This tool reads the source and uploads to each target (through the spool, or streamed).
    case stream
    /// The target Glance pulls the image from the source region itself (`glance-download`): both sides must
    /// be regions of one cloud (one Keystone), named as `cloud:NAME/REGION`.
    case glanceDownload = "glance-download"
    /// `glance-download` where a target can (same cloud, method offered), streaming elsewhere.
    case auto
}

/// Where a target's `glance-download` import pulls from: the source's region in the shared catalog.
struct GlanceDownloadSource: Sendable, Hashable {
    var region: String
    var interface: String
}
