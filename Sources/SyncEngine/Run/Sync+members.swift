import CatalogDiff
import Logging
import OpenStackAPI

extension Sync {
    /// `--members` in a mesh: the copies of each shared image in every region are compared with the members
    /// of the image at its origin (mapped by `--member-map`) and, when `apply`, get the missing ones (and lose
    /// the extra ones with `--prune-members`), as `replicate` does for one source. The origin decides, as it
    /// does for metadata: a copy's members never reach the origin or the other copies. Images whose origin was
    /// not listed this run are not compared (no region holds their authoritative members); into each region's
    /// report.
    static func replicateMembers(
        _ mesh: MeshPlan,
        endpoints: [CatalogEndpoint?],
        into report: inout SyncReport,
        _ options: ReplicationOptions,
        apply: Bool,
        _ logger: Logger
    ) async {
        guard options.members else { return }
        // The rows by origin, each once, origins in region order.
        var byOrigin: [Int: [Int]] = [:]
        for (row, image) in mesh.images.enumerated() {
            if let origin = image.origin { byOrigin[origin, default: []].append(row) }
        }
        let rowsByOrigin = byOrigin.sorted { $0.key < $1.key }
        for (region, endpoint) in endpoints.enumerated() {
            guard case .glance(let target) = endpoint else { continue }
            var summary = MemberSummary()
            for (origin, rows) in rowsByOrigin where origin != region {
                guard case .glance(let source) = endpoints[origin] else { continue }
                summary.merge(
                    await Replication.replicateMembers(
                        source: source,
                        target: target,
                        sourceImages: rows.compactMap { mesh.images[$0].source },
                        images: rows.map { row in
                            ImageReport(
                                plan: mesh.images[row].plan(in: region),
                                result: report.images[row].cells[region].result
                            )
                        },
                        mapping: options.memberMap,
                        pruneExtra: options.pruneMembers,
                        apply: apply,
                        logger: logger
                    )
                )
            }
            report.regions[region].members = summary
        }
    }
}
