/// One image as a Glance v2 endpoint lists it: the fields the replicator compares, copies or reports.
///
/// Custom properties are top-level keys in Glance's JSON; they are gathered into `properties`. Read-only
/// and server-managed fields that are never compared (`self`, `file`, `locations`, ...) are dropped on
/// decoding, except the few the report or the data comparison need.
public struct ImageRecord: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var status: String
    public var visibility: Visibility
    public var protected: Bool
    public var osHidden: Bool
    public var minDisk: Int64
    public var minRam: Int64
    public var diskFormat: String?
    public var containerFormat: String?
    public var tags: [String]
    public var size: Int64?
    public var checksum: String?
    public var osHashAlgo: String?
    public var osHashValue: String?
    public var owner: String?
    public var createdAt: String?
    /// Custom (additional) properties: Glance's schema types them all as strings.
    public var properties: [String: String]

    public init(
        id: String,
        name: String? = nil,
        status: String = ImageStatus.active,
        visibility: Visibility = .public,
        protected: Bool = false,
        osHidden: Bool = false,
        minDisk: Int64 = 0,
        minRam: Int64 = 0,
        diskFormat: String? = "raw",
        containerFormat: String? = "bare",
        tags: [String] = [],
        size: Int64? = nil,
        checksum: String? = nil,
        osHashAlgo: String? = nil,
        osHashValue: String? = nil,
        owner: String? = nil,
        createdAt: String? = nil,
        properties: [String: String] = [:]
    ) {
        self.id = id
        self.name = name
        self.status = status
        self.visibility = visibility
        self.protected = protected
        self.osHidden = osHidden
        self.minDisk = minDisk
        self.minRam = minRam
        self.diskFormat = diskFormat
        self.containerFormat = containerFormat
        self.tags = tags
        self.size = size
        self.checksum = checksum
        self.osHashAlgo = osHashAlgo
        self.osHashValue = osHashValue
        self.owner = owner
        self.createdAt = createdAt
        self.properties = properties
    }

    /// The stores of a multi-store Glance that hold the image's data (`stores`, a comma list in the API);
    /// empty when the endpoint does not say.
    public var stores: [String] = []
    /// Set where a record is parsed from a server or a dump, when it cannot be acted on (an id that is not
    /// a UUID, a size out of range): see `ImageRecord+Validity`.
    public var invalidity: RecordInvalidity?

    /// Whether Glance holds data for this image (hashes are set once data is stored).
    public var hasData: Bool {
        size != nil && (checksum != nil || osHashValue != nil)
    }
}

/// Glance v2 image statuses (`killed` is never produced by v2).
public enum ImageStatus {
    public static let queued = "queued"
    public static let saving = "saving"
    public static let uploading = "uploading"
    public static let importing = "importing"
    public static let active = "active"
    public static let deactivated = "deactivated"
    public static let pendingDelete = "pending_delete"
    public static let deleted = "deleted"
    /// Statuses of images that are gone or going (`killed` is v1's).
    public static let gone: Set<String> = [pendingDelete, deleted, "killed"]
}
