import ArgumentParser
import CatalogDiff

extension RunOutcome {
    /// `sync`: as `replicate` (1 on a dry run with work to do, 3 when images failed, are in conflict or
    /// `--prune` refused), and 3 too when a region could not be listed: the mesh has not converged.
    static func sync(_ report: SyncReport) throws {
        let cells = report.images.flatMap(\.cells)
        for (region, refusal) in report.regions.compactMap({ region in region.pruneRefused.map { (region, $0) } }) {
            ExitStatus.printError("\(region.region): \(refusal.message)")
        }
        let unlisted = report.regions.filter { !$0.listed }
        for region in unlisted {
            ExitStatus.printError("\(region.region) could not be listed: \(region.error ?? "unknown error")")
        }
        let invalid = invalidRecords(report.asReport.targets.flatMap(\.images))
        let failed = cells.filter { $0.result == .failed }.count
        let conflicts = report.images.filter { $0.cells.contains { $0.action == .conflict } }.count
        let refused = report.regions.contains { $0.pruneRefused != nil }
        let memberErrors = report.regions.compactMap(\.members).map(\.errors.count).reduce(0, +)
        if report.dryRun, unlisted.isEmpty {
            if invalid { throw ExitStatus.Finished(code: ExitStatus.imagesFailed) }
            if cells.contains(where: \.action.isWork)
                || report.regions.contains(where: { $0.members?.hasWork ?? false })
            {
                throw ExitStatus.Finished(code: ExitStatus.differences)
            }
            return
        }
        guard failed + conflicts + unlisted.count + memberErrors > 0 || refused || invalid else { return }
        var parts: [String] = []
        if !unlisted.isEmpty { parts.append("\(unlisted.count) regions not listed (nothing deleted for their images)") }
        if failed > 0 { parts.append("\(failed) failed") }
        if memberErrors > 0 { parts.append("members of \(memberErrors) shared images not replicated") }
        if conflicts > 0 { parts.append("\(conflicts) images in data_conflict (never overwritten)") }
        if refused { parts.append("--prune deleted nothing in some region (over --max-delete)") }
        // Invalid records have their own line (`invalidRecords`).
        if !parts.isEmpty {
            ExitStatus.printError(parts.joined(separator: ", ") + "; the rest is done, see the report")
        }
        throw ExitStatus.Finished(code: ExitStatus.imagesFailed)
    }
}
