import CatalogDiff

extension ReplicationOptions {
    /// The audit options of issue 4 that change planning: duplicates and pruning.
    public struct Audit: Sendable, Hashable {
        /// `--copy-duplicates`: copy `same_content_other_id` images anyway.
        public var copyDuplicates: Bool
        /// `--prune`: delete `extra` images whose provenance names this source.
        public var prune: Bool
        /// `--max-delete`: over this many deletions a run deletes nothing.
        public var maxDelete: Int

        public init(copyDuplicates: Bool = false, prune: Bool = false, maxDelete: Int = 10) {
            self.copyDuplicates = copyDuplicates
            self.prune = prune
            self.maxDelete = maxDelete
        }

        /// The planning options for a run from the source named `source` (its provenance value), whose
        /// copies may also carry the `former` values.
        func planOptions(source: String, former: Set<String> = []) -> PlanOptions {
            PlanOptions(
                copyDuplicates: copyDuplicates,
                prune: prune ? PrunePolicy(source: source, formerSources: former, maxDelete: maxDelete) : nil
            )
        }
    }
}

extension FieldRules {
    /// These rules, writing `source` as every copy's provenance.
    func withProvenance(_ source: String) -> FieldRules {
        var rules = self
        rules.provenance = source
        return rules
    }
}
