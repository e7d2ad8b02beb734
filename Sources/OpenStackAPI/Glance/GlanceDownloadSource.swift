/// Where a target's server-side import pulls from: the source's region in the shared catalog
/// (`glance-download`), or the source image's data URL (`web-download`).
package enum GlanceDownloadSource: Sendable, Hashable {
    case region(String, interface: String)
    case web(sourceRoot: String)

    package var method: String {
        switch self {
        case .region: "glance-download"
        case .web: "web-download"
        }
    }
}
