/// Which images of a catalog replication is about.
///
/// A source image is in scope when it is `active`, its visibility was asked for and it passes the
/// operator's `filter`; `os_hidden` images are included (hidden only keeps them out of default listings).
/// A target image is in scope for `extra` by visibility and `filter` alone, whatever its status.
public struct ImageScope: Sendable, Hashable {
    public var visibilities: Set<Visibility>
    public var filter: ImageFilter

    public init(visibilities: Set<Visibility> = Visibility.defaultScope, filter: ImageFilter = ImageFilter()) {
        self.visibilities = visibilities
        self.filter = filter
    }

    public func containsSource(_ image: ImageRecord) -> Bool {
        image.status == ImageStatus.active && visibilities.contains(image.visibility) && filter.matches(image)
    }

    public func containsTarget(_ image: ImageRecord) -> Bool {
        visibilities.contains(image.visibility) && filter.matches(image)
    }
}
