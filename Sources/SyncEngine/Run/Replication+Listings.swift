import CatalogDiff

extension Replication {
    /// What a run listed and planned: both catalogs, held by the source's listing and the plans (for two
    /// 100 000-image catalogs some 200 000 records and their strings, a tenth of a second and more to free
    /// one by one).
    ///
    /// `run(source:targets:options:logger:keeping:)` hands it over once the report is made; whoever keeps it
    /// decides when, or whether, it is freed. The CLI keeps it until the process exits (as a compiler skips
    /// freeing its syntax trees): the report is written by then, and the operating system takes the memory
    /// back at once.
    public struct Listings: Sendable {
        let sourceImages: [ImageRecord]
        let plans: [CatalogPlan]

        init(_ planned: PlannedRun) {
            sourceImages = planned.sourceImages
            plans = planned.plans
        }

        /// Frees nothing: the listings are given up where they are made.
        public static let free: @Sendable (Listings) -> Void = { _ in }
    }
}
