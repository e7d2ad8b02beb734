/// One image as a Glance v2 endpoint lists it: the fields the replicator compares, copies or reports.
///
/// Custom properties are top-level keys in Glance's JSON; they are gathered into `properties`. Read-only
/// and server-managed fields that are never compared (`self`, `file`, `locations`, ...) are dropped on
/// decoding, except the few the report or the data comparison need.
public struct ImageRecord: Sendable, Hashable {
    /// The fields, in one heap object shared by every copy of the record until one of them changes a field
    /// (copy on write, as `Array` does). A copy is then a reference, not the fields' 250 bytes: each plan
    /// holds its source and target records, and a target record whose every field is byte for byte its
    /// source's holds the source's storage itself (`SharedRecords`).
    private var storage: Storage

    public var id: String {
        get { storage.fields.id }
        _modify { yield &uniqueStorage.fields.id }
    }
    public var name: String? {
        get { storage.fields.name }
        _modify { yield &uniqueStorage.fields.name }
    }
    public var status: String {
        get { storage.fields.status }
        _modify { yield &uniqueStorage.fields.status }
    }
    public var visibility: Visibility {
        get { storage.fields.visibility }
        _modify { yield &uniqueStorage.fields.visibility }
    }
    public var protected: Bool {
        get { storage.fields.protected }
        _modify { yield &uniqueStorage.fields.protected }
    }
    public var osHidden: Bool {
        get { storage.fields.osHidden }
        _modify { yield &uniqueStorage.fields.osHidden }
    }
    public var minDisk: Int64 {
        get { storage.fields.minDisk }
        _modify { yield &uniqueStorage.fields.minDisk }
    }
    public var minRam: Int64 {
        get { storage.fields.minRam }
        _modify { yield &uniqueStorage.fields.minRam }
    }
    public var diskFormat: String? {
        get { storage.fields.diskFormat }
        _modify { yield &uniqueStorage.fields.diskFormat }
    }
    public var containerFormat: String? {
        get { storage.fields.containerFormat }
        _modify { yield &uniqueStorage.fields.containerFormat }
    }
    public var tags: [String] {
        get { storage.fields.tags }
        _modify { yield &uniqueStorage.fields.tags }
    }
    public var size: Int64? {
        get { storage.fields.size }
        _modify { yield &uniqueStorage.fields.size }
    }
    public var checksum: String? {
        get { storage.fields.checksum }
        _modify { yield &uniqueStorage.fields.checksum }
    }
    public var osHashAlgo: String? {
        get { storage.fields.osHashAlgo }
        _modify { yield &uniqueStorage.fields.osHashAlgo }
    }
    public var osHashValue: String? {
        get { storage.fields.osHashValue }
        _modify { yield &uniqueStorage.fields.osHashValue }
    }
    public var owner: String? {
        get { storage.fields.owner }
        _modify { yield &uniqueStorage.fields.owner }
    }
    public var createdAt: String? {
        get { storage.fields.createdAt }
        _modify { yield &uniqueStorage.fields.createdAt }
    }
    /// Custom (additional) properties: Glance's schema types them all as strings.
    public var properties: [String: String] {
        get { storage.fields.properties }
        _modify { yield &uniqueStorage.fields.properties }
    }

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
        storage = Storage(
            Fields(
                id: id,
                name: name,
                status: status,
                visibility: visibility,
                protected: protected,
                osHidden: osHidden,
                minDisk: minDisk,
                minRam: minRam,
                diskFormat: diskFormat,
                containerFormat: containerFormat,
                tags: tags,
                size: size,
                checksum: checksum,
                osHashAlgo: osHashAlgo,
                osHashValue: osHashValue,
                owner: owner,
                createdAt: createdAt,
                properties: properties
            )
        )
    }

    /// The stores of a multi-store Glance that hold the image's data (`stores`, a comma list in the API);
    /// empty when the endpoint does not say.
    public var stores: [String] {
        get { storage.fields.stores }
        _modify { yield &uniqueStorage.fields.stores }
    }
    /// Set where a record is parsed from a server or a dump, when it cannot be acted on (an id that is not
    /// a UUID, a size out of range): see `ImageRecord+Validity`.
    public var invalidity: RecordInvalidity? {
        get { storage.fields.invalidity }
        _modify { yield &uniqueStorage.fields.invalidity }
    }

    /// Whether Glance holds data for this image (hashes are set once data is stored).
    public var hasData: Bool {
        size != nil && (checksum != nil || osHashValue != nil)
    }

    public static func == (lhs: ImageRecord, rhs: ImageRecord) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    public func hash(into hasher: inout Hasher) {
        storage.fields.hash(into: &hasher)
    }

    /// Whether both records hold the very same storage (and so the same fields).
    func sharesStorage(with other: ImageRecord) -> Bool {
        storage === other.storage
    }

    /// Takes `other`'s storage, whose fields must be byte for byte this record's.
    mutating func takeStorage(of other: ImageRecord) {
        storage = other.storage
    }

    /// The storage, copied first if another record holds it too.
    private var uniqueStorage: Storage {
        mutating get {
            if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.fields) }
            return storage
        }
    }

    /// Every field of a record.
    private struct Fields: Hashable {
        var id: String
        var name: String?
        var status: String
        var visibility: Visibility
        var protected: Bool
        var osHidden: Bool
        var minDisk: Int64
        var minRam: Int64
        var diskFormat: String?
        var containerFormat: String?
        var tags: [String]
        var size: Int64?
        var checksum: String?
        var osHashAlgo: String?
        var osHashValue: String?
        var owner: String?
        var createdAt: String?
        var properties: [String: String]
        var stores: [String] = []
        var invalidity: RecordInvalidity?
    }

    /// `@unchecked Sendable` is safe: the fields are only ever changed through `uniqueStorage`, that is when
    /// no other record (in this thread or another) holds the same storage; shared, it is only read.
    ///
    /// For the same reason no access to `fields` can overlap a change of them, and the run-time exclusivity
    /// check Swift makes of every access to a class's stored property is left out (`@exclusivity(unchecked)`):
    /// for a record read field by field while two catalogs are parsed and planned it cost a tenth of a second
    /// of the 100 000-image diff. The static checks of the compiler still apply.
    private final class Storage: @unchecked Sendable {
        @exclusivity(unchecked) var fields: Fields

        init(_ fields: Fields) {
            self.fields = fields
        }
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

    /// Whether an image with this status has its data for good: `active`, or `deactivated` (the data kept,
    /// its download withheld). Only such an image is copied from, and its status replicated.
    public static func hasSettledData(_ status: String) -> Bool {
        status == active || status == deactivated
    }
}
