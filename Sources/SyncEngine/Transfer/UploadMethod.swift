import Synchronization

/// How image data reaches a target (`--upload-method`).
public enum UploadMethod: String, Sendable, Hashable, CaseIterable {
    /// `PUT /v2/images/{id}/file`.
    case put
    /// `PUT /v2/images/{id}/stage`, then the `glance-direct` import.
    case `import`
    /// `PUT /file`, and the import flow from the first 403 on (the default).
    case auto
}

/// Whether a target has refused `PUT /file`; shared by every copy to that target in a run.
public final class ImportFallback: Sendable {
    private let refused = Atomic<Bool>(false)

    public init() {}

    var isSet: Bool { refused.load(ordering: .relaxed) }

    func set() {
        refused.store(true, ordering: .relaxed)
    }
}
