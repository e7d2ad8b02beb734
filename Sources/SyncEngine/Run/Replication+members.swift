import CatalogDiff
import Logging
import OpenStackAPI

extension Replication {
    /// `--members` on every Glance target of the run: compared (`apply` false: audits and dry runs) or
    /// replicated, into each target's report.
    static func replicateMembers(
        from source: CatalogEndpoint,
        to targets: [CatalogEndpoint],
        _ sourceImages: [ImageRecord],
        into report: inout Report,
        _ options: ReplicationOptions,
        apply: Bool,
        _ logger: Logger
    ) async {
        guard options.members, case .glance(let sourceClient) = source else { return }
        for (index, target) in targets.enumerated() {
            guard case .glance(let targetClient) = target else { continue }
            report.targets[index].members = await replicateMembers(
                source: sourceClient,
                target: targetClient,
                sourceImages: sourceImages,
                images: report.targets[index].images,
                mapping: options.memberMap,
                pruneExtra: options.pruneMembers,
                apply: apply,
                logger: logger
            )
        }
    }

    /// `--members`: compares the members of every shared image's copy with the source's (mapped by
    /// `mapping`) and, when `apply`, adds the missing ones and (with `pruneExtra`) removes the extra ones.
    ///
    /// Compared: images whose copy exists or is planned (`missing` counts every member as missing). Changed
    /// (`apply`): only copies that now match the source (copied, repaired or in sync). A refusal (e.g. the
    /// credentials do not own the copy) is one line in the report.
    static func replicateMembers(
        source: GlanceClient,
        target: GlanceClient,
        sourceImages: [ImageRecord],
        images: [ImageReport],
        mapping: [String: String],
        pruneExtra: Bool,
        apply: Bool,
        logger: Logger
    ) async -> MemberSummary {
        let shared = Set(sourceImages.filter { $0.visibility == .shared }.map(\.id))
        let compared: Set<ImageState> = [.inSync, .metadataDrift, .statusDrift, .missingInStores, .missing]
        var summary = MemberSummary()
        for image in images where shared.contains(image.id) && compared.contains(image.state) {
            let matches = image.result == .done || (image.result == .skipped && image.state == .inSync)
            do {
                let copyExists = image.state != .missing || (apply && image.result == .done)
                let plan = MemberPlan(
                    source: try await source.members(of: image.id),
                    target: copyExists ? try await target.members(of: image.id) : [],
                    mapping: mapping,
                    pruneExtra: pruneExtra
                )
                var members = plan.members
                summary.missing += plan.toAdd.count
                summary.extra += plan.extra.count
                if apply && matches {
                    for index in members.indices {
                        let member = members[index].member
                        switch members[index].action {
                        case .add:
                            try await target.addMember(member, to: image.id)
                            summary.added += 1
                        case .remove:
                            try await target.removeMember(member, from: image.id)
                            summary.removed += 1
                        case .none, .ignore: continue
                        }
                        members[index].result = .done
                    }
                    if !plan.toAdd.isEmpty || (pruneExtra && !plan.extra.isEmpty) {
                        logger.info(
                            "members replicated",
                            metadata: [
                                "image_id": "\(image.id)", "added": "\(plan.toAdd.count)",
                                "removed": "\(pruneExtra ? plan.extra.count : 0)",
                            ]
                        )
                    }
                }
                summary.images.append(MemberImageReport(id: image.id, name: image.name, members: members))
            } catch {
                summary.errors.append("image \(image.id): \(ImageCopy.replicatorError(error).message)")
            }
        }
        return summary
    }
}
