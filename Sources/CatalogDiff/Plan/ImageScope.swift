/// Which images of a catalog replication is about.
///
/// A source image is in scope when it is `active`, its visibility was asked for and it passes the
/// operator's `filter`; `os_hidden` images are included (hidden only keeps them out of default listings).
/// A target image is in scope for `extra` by visibility and `filter` alone, whatever its status. With a
/// `shard`, only the images of that shard are in scope on either side: another shard's images are neither
/// copied nor reported as `extra`.
public struct ImageScope: Sendable, Hashable {
    public var visibilities: Set<Visibility>
    /// The part of the catalog this run works on (`--shard`); nil for all of it.
    public var shard: Shard?
    public var filter: ImageFilter

    public init(
        visibilities: Set<Visibility> = Visibility.defaultScope,
        shard: Shard? = nil,
        filter: ImageFilter = ImageFilter()
    ) {
        self.visibilities = visibilities
        self.shard = shard
        self.filter = filter
    }

    public func containsSource(_ image: ImageRecord) -> Bool {
        image.status == ImageStatus.active && visibilities.contains(image.visibility) && inShard(image)
            && filter.matches(image)
    }

    /// Whether a source image belongs in a plan's report: in scope but for its status (a deactivated image,
    /// or one without data yet, is reported with the reason it is not copied). Deleted images are not.
    public func reportsSource(_ image: ImageRecord) -> Bool {
        !ImageStatus.gone.contains(image.status) && visibilities.contains(image.visibility) && inShard(image)
            && filter.matches(image)
    }

    public func containsTarget(_ image: ImageRecord) -> Bool {
        visibilities.contains(image.visibility) && inShard(image) && filter.matches(image)
    }

    private func inShard(_ image: ImageRecord) -> Bool {
        shard?.contains(id: image.id) ?? true
    }
}
