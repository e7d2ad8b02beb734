/// Which images of a catalog replication is about.
///
/// A source image is in scope when it is `active` and its visibility was asked for; `os_hidden` images are
/// included (hidden only keeps them out of default listings). A target image is in scope for `extra` by
/// visibility alone, whatever its status.
public struct ImageScope: Sendable, Hashable {
    public var visibilities: Set<Visibility>

    public init(visibilities: Set<Visibility> = Visibility.defaultScope) {
        self.visibilities = visibilities
    }

    public func containsSource(_ image: ImageRecord) -> Bool {
        image.status == ImageStatus.active && visibilities.contains(image.visibility)
    }

    public func containsTarget(_ image: ImageRecord) -> Bool {
        visibilities.contains(image.visibility)
    }
}
