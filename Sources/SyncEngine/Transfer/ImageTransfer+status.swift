import CatalogDiff

extension ImageTransfer {
    /// `deactivate`/`reactivate`: the metadata changes that come with the status difference first (Glance
    /// patches a deactivated image as any other), then the status action.
    func replicateStatus(_ plan: ImagePlan) async throws {
        var metadata = plan
        metadata.changes = plan.changes.filter { $0.field != "status" }
        if !metadata.changes.isEmpty { try await updateMetadata(metadata) }
        try await target.perform(plan.action == .deactivate ? .deactivate : .reactivate, on: plan.id)
    }
}
