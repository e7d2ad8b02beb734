import CatalogDiff
import Foundation
import OpenStackAPI

/// Where a catalog lives, as the command line names it.
///
/// `http(s)://HOST[:PORT][/PATH]` is a Glance endpoint (a trailing `/v2` is accepted and dropped);
/// `HOST:PORT` is the old glance-replicator's form, over http; `dir:PATH` is a dump directory;
/// `cloud:NAME[/REGION]` is the Glance of a cloud of clouds.yaml, found in its Keystone catalog; with OS_CLOUD
/// set, `cloud:` and `cloud:/REGION` name that cloud, and OS_REGION_NAME is its region unless one is written.
public enum ImageLocation: Sendable, Hashable, CustomStringConvertible {
    case glance(GlanceEndpoint)
    /// A dump directory (`dir:PATH`): one `<id>.json` and `<id>.img` per image.
    case dump(DumpDirectory)
    /// A region of a cloud (`cloud:NAME/REGION`, or `cloud:NAME` for a cloud with one region).
    case cloud(CloudLocation)

    /// `environment`: where OS_CLOUD and OS_REGION_NAME are read (the process's unless a test says).
    public init(
        parsing text: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ReplicatorError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("dir:") {
            self = .dump(try DumpDirectory(location: trimmed))
            return
        }
        if trimmed.hasPrefix("cloud:") {
            self = .cloud(try CloudLocation(parsing: trimmed, environment: environment))
            return
        }
        if trimmed.contains("://") {
            self = .glance(try GlanceEndpoint(url: trimmed))
        } else {
            self = .glance(try GlanceEndpoint(hostPort: trimmed))
        }
    }

    /// How `--bwlimit TARGET=RATE` names this location: a Glance URL by its endpoint root, a `cloud:` region
    /// as written (`cloud:NAME/REGION`); nil for a dump directory, which is never uploaded to.
    public var bandwidthKey: String? {
        switch self {
        case .glance(let endpoint): endpoint.root
        case .cloud(let cloud): cloud.description
        case .dump: nil
        }
    }

    public var description: String {
        switch self {
        case .glance(let endpoint): endpoint.description
        case .dump(let directory): directory.description
        case .cloud(let cloud): cloud.description
        }
    }
}
