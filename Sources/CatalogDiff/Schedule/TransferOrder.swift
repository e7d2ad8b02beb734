/// The order in which a run starts its images (`--order`): smallest first by default, so that a run cut
/// short by its budget or window has finished as many images as it could.
public enum TransferOrder: String, Sendable, Hashable, CaseIterable {
    case size
    case name
    case created

    /// `images` in this order; ties are broken by id so runs are repeatable.
    public func sorted(_ images: [ImageRecord]) -> [ImageRecord] {
        images.sorted { left, right in
            switch self {
            case .size where (left.size ?? 0) != (right.size ?? 0):
                return (left.size ?? 0) < (right.size ?? 0)
            case .name where (left.name ?? "") != (right.name ?? ""):
                return (left.name ?? "") < (right.name ?? "")
            case .created where (left.createdAt ?? "") != (right.createdAt ?? ""):
                return (left.createdAt ?? "") < (right.createdAt ?? "")
            default:
                return left.id < right.id
            }
        }
    }
}
