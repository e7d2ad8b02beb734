import CatalogDiff
import Logging

extension Replication {
    /// `--members`: after the copies, gives each shared image on the target the source's member projects
    /// (mapped by `options.memberMap`). Only images that now match the source (copied, repaired or in sync)
    /// are touched; a refusal (e.g. the credentials do not own the copy) is one line in the report.
    static func replicateMembers(
        source: GlanceClient,
        target: GlanceClient,
        sourceImages: [ImageRecord],
        images: [ImageReport],
        mapping: [String: String],
        logger: Logger
    ) async -> MemberSummary {
        let shared = Set(sourceImages.filter { $0.visibility == .shared }.map(\.id))
        var summary = MemberSummary()
        for image in images where shared.contains(image.id) {
            let matches = image.result == .done || (image.result == .skipped && image.state == .inSync)
            guard matches else { continue }
            do {
                let plan = MemberPlan(
                    source: try await source.members(of: image.id),
                    target: try await target.members(of: image.id),
                    mapping: mapping
                )
                for project in plan.toAdd {
                    try await target.addMember(project, to: image.id)
                    summary.added += 1
                }
                if !plan.toAdd.isEmpty {
                    logger.info(
                        "members added",
                        metadata: ["image_id": "\(image.id)", "members": "\(plan.toAdd.count)"]
                    )
                }
            } catch {
                summary.errors.append("image \(image.id): \(ImageCopy.replicatorError(error).message)")
            }
        }
        return summary
    }
}
