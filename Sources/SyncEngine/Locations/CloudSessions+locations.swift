import CatalogDiff
import Foundation
import OpenStackAPI

extension CloudSessions {
    /// Looks up the clouds `locations` name (clouds.yaml only when one does).
    public init(
        locations: [ImageLocation],
        token: String?,
        environment: [String: String],
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ReplicatorError) {
        try self.init(
            clouds: locations.compactMap { if case .cloud(let cloud) = $0 { cloud } else { nil } },
            endpoints: locations.compactMap { if case .glance(let endpoint) = $0 { endpoint } else { nil } },
            token: token,
            environment: environment,
            currentDirectory: currentDirectory
        )
    }
}
