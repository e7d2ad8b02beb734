/// An error an operator can act on: what failed, where, and what the server said.
///
/// Modelled on AsyncHTTPClient's `HTTPClientError`: a struct over a private code, so new cases can be
/// added without breaking callers, and a `category` that the CLI maps to its exit code in one place.
public struct ReplicatorError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidLocation
        case invalidOption
        case unreachable
        case authenticationRefused
        case unexpectedResponse
        case malformedResponse
        case requestFailed
        case dataMismatch
        case idUnavailable
        case imageBusy
        case cannotRepair
        case journal
        case spool
        case interrupted
        case uploadRefused
        case dumpUnreadable
        case dumpUnwritable
        case dumpDataMissing
        case dumpLayout
        case readOnlyLocation
        case reportUnwritable
        case cloudConfig
        case keystoneRefused
        case catalog
        case redirectRefused
        case certificateRefused
        case runLocked
        case lockUnusable
        case unexpected
    }

    /// How bad it is: decides whether the run goes on and the exit code.
    public enum Category: Sendable, Hashable {
        /// Bad arguments or configuration: nothing was attempted.
        case usage
        /// The run cannot go on (an endpoint unreachable, credentials refused, responses unusable).
        case fatal
        /// One image failed; the others go on.
        case image
        /// Another run of the same job holds its lock: nothing was attempted.
        case locked
    }

    private let code: Code
    /// One line, without a trailing period: what happened and, where known, what to do.
    public let message: String
    /// The HTTP status the server answered, when the error is an HTTP answer.
    public let status: Int?

    private init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var category: Category {
        switch code {
        case .invalidLocation, .invalidOption, .readOnlyLocation, .cloudConfig, .dumpLayout, .lockUnusable: .usage
        case .runLocked: .locked
        case .keystoneRefused, .catalog, .redirectRefused, .certificateRefused: .fatal
        case .unreachable, .authenticationRefused, .malformedResponse, .unexpectedResponse, .journal: .fatal
        case .dumpUnreadable, .dumpUnwritable, .reportUnwritable: .fatal
        case .requestFailed, .dataMismatch, .idUnavailable, .imageBusy, .cannotRepair, .dumpDataMissing, .spool,
            .interrupted, .uploadRefused, .unexpected:
            .image
        }
    }

    public var description: String { message }

    /// Whether retrying the same request may succeed (connection errors, 408, 429, 5xx).
    public var isTransient: Bool {
        switch code {
        case .unreachable, .uploadRefused: true
        case .requestFailed, .unexpectedResponse:
            status.map { $0 == 408 || $0 == 429 || (500...599).contains($0) } ?? false
        default: false
        }
    }

    /// Whether a target refused an image id because an image with that id was deleted there (burnt): there is
    /// no record to keep or delete.
    public var isIDUnavailable: Bool { code == .idUnavailable }

    /// Whether the data read or stored did not match what the source records.
    public var isDataMismatch: Bool { code == .dataMismatch }

    /// The server answered 400 (to a ranged `GET`: it does not serve ranges of this image).
    public var isBadRequest: Bool { status == 400 }

    /// The server answered 403: the credentials may not do this (policy or ownership).
    public var isForbidden: Bool { status == 403 }

    /// The server answered 409: the record is taken or in a state that conflicts with the request.
    public var isConflict: Bool { status == 409 }

    /// A fault of this host, not of any server: the spool's disk (ENOSPC, EIO) or the state journal
    /// (SQLITE_FULL, SQLITE_BUSY). The target records of the images it hit are kept for the next run.
    public var isLocalFault: Bool { code == .spool || code == .journal }

    /// A target record in `saving`, `uploading` or `importing` (past the wait): left for a later run.
    public var isBusy: Bool { code == .imageBusy }

    // MARK: usage

    public static func invalidLocation(_ text: String) -> Self {
        Self(
            .invalidLocation,
            "'\(text)' is not a location: use http(s)://HOST[:PORT][/PATH] or HOST:PORT for a Glance endpoint, "
                + "cloud:NAME[/REGION] for a cloud of clouds.yaml, or dir:PATH for a dump directory"
        )
    }

    public static func invalidOption(_ message: String) -> Self {
        Self(.invalidOption, message)
    }

    public static func readOnlyLocation(_ location: String, command: String) -> Self {
        Self(
            .readOnlyLocation,
            "\(location): \(command) cannot write into a dump directory; use `dump SOURCE \(location)` to fill it"
        )
    }

    // MARK: clouds and Keystone

    /// clouds.yaml/secure.yaml (or a cloud in it) that cannot be used as written.
    public static func cloudConfig(_ source: String, _ detail: String) -> Self {
        Self(.cloudConfig, "\(source): \(detail)")
    }

    /// `file`: the clouds.yaml read, nil when none was found in `searched`.
    public static func unknownCloud(_ name: String, file: String?, searched: [String], known: [String]) -> Self {
        guard let file else {
            return Self(
                .cloudConfig,
                "cloud '\(name)' is not defined: no clouds.yaml found (looked for \(searched.joined(separator: ", "))); "
                    + "set OS_CLIENT_CONFIG_FILE"
            )
        }
        let list = known.isEmpty ? "it has no clouds" : "it has \(known.joined(separator: ", "))"
        return Self(.cloudConfig, "cloud '\(name)' is not in \(file); \(list)")
    }

    public static func cloudIncomplete(_ name: String, missing: String) -> Self {
        Self(.cloudConfig, "cloud \(name) has no \(missing) (clouds.yaml, secure.yaml or OS_* variables)")
    }

    public static func regionRequired(cloud: String, regions: [String]) -> Self {
        Self(
            .cloudConfig,
            "cloud \(cloud) has regions \(regions.joined(separator: ", ")): name one as cloud:\(cloud)/REGION"
        )
    }

    /// Keystone refused the credentials (wrong password or secret, unknown user, no role on the project).
    public static func keystoneRefused(cloud: String, authURL: String, status: Int, detail: String) -> Self {
        Self(
            .keystoneRefused,
            "Keystone \(authURL) refused the credentials of cloud \(cloud) (HTTP \(status))"
                + "\(detail.isEmpty ? "" : ": \(detail)"); check the password, application credential or project",
            status: status
        )
    }

    public static func unknownRegion(cloud: String, region: String, known: [String]) -> Self {
        Self(
            .catalog,
            "cloud \(cloud) has no region \(region) with an image endpoint"
                + (known.isEmpty ? "" : " (its catalog has \(known.joined(separator: ", ")))")
        )
    }

    public static func noImageEndpoint(cloud: String, region: String?, interface: String) -> Self {
        Self(
            .catalog,
            "the catalog of cloud \(cloud) has no \(interface) image endpoint"
                + (region.map { " in region \($0)" } ?? "") + " (is Glance registered in Keystone?)"
        )
    }

    /// A region must be named: the cloud's catalog lists Glance in several.
    public static func ambiguousRegion(cloud: String, regions: [String]) -> Self {
        Self(
            .catalog,
            "cloud \(cloud) has image endpoints in \(regions.joined(separator: ", ")): name one as cloud:\(cloud)/REGION"
        )
    }

    // MARK: fatal

    /// A dump directory (or one of its files) that cannot be read or is not a dump.
    public static func dumpUnreadable(_ path: String, reason: String) -> Self {
        Self(.dumpUnreadable, "cannot read the dump at \(path): \(reason)")
    }

    /// A directory read as a dump that holds files but no image record of either layout.
    public static func notADump(_ path: String, files: Int) -> Self {
        Self(
            .dumpLayout,
            "dir:\(path) holds \(files) \(files == 1 ? "file" : "files") but no image record (<id>.json, or the old glance-replicator's "
                + "<id> with <id>.img): not a dump directory"
        )
    }

    /// `dump` into a directory of the old tool's layout: it writes only the current one.
    public static func oldDumpNotWritable(_ path: String, records: Int) -> Self {
        Self(
            .dumpLayout,
            "dir:\(path) holds \(records) image records of the old glance-replicator's layout; dump writes the "
                + "current layout and never into an old dump: dump into another directory (compare, size and "
                + "load read this one as it is)"
        )
    }

    /// A dump directory that cannot be written (permissions, a full disk).
    public static func dumpUnwritable(_ path: String, reason: String) -> Self {
        Self(.dumpUnwritable, "cannot write the dump at \(path): \(reason)")
    }

    /// A 30x answer: redirects are never followed, so that a token or a password never reaches a host the
    /// operator did not name. `location` is the server's Location header (untrusted; shown escaped).
    public static func redirectRefused(_ endpoint: String, request: String, status: Int, location: String?) -> Self {
        let target = location.map { "to \(printable($0))" } ?? "without a Location"
        return Self(
            .redirectRefused,
            "\(request) on \(endpoint) answered HTTP \(status), redirecting \(target); redirects are not followed "
                + "(credentials never go to another host): if that is the right endpoint, name it instead",
            status: status
        )
    }

    /// The server's TLS certificate failed verification: whose, which check, and what to do.
    public static func certificateRefused(
        _ endpoint: String,
        certificate: String?,
        problem: String,
        hint: String
    )
        -> Self
    {
        Self(
            .certificateRefused,
            "cannot verify the TLS certificate of \(endpoint)\(certificate.map { " (\(printable($0)))" } ?? ""): "
                + "\(problem); \(hint)"
        )
    }

    /// At most 200 characters of server text, with control characters escaped.
    private static func printable(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { scalar -> String in
            scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }
        let line = escaped.joined()
        return line.count > 200 ? String(line.prefix(200)) + "..." : line
    }

    public static func unreachable(_ endpoint: String, reason: String) -> Self {
        Self(.unreachable, "cannot reach \(endpoint): \(reason)")
    }

    /// `renewedToken`: the token came from a cloud's Keystone and a new one was refused too.
    public static func authenticationRefused(
        _ endpoint: String,
        status: Int,
        detail: String,
        renewedToken: Bool = false
    ) -> Self {
        let hint =
            status != 401
            ? "the credentials lack the needed role"
            : renewedToken
                ? "a new Keystone token was refused too: check the cloud's project and Glance's keystone_authtoken"
                : "check --token / OS_AUTH_TOKEN"
        return Self(
            .authenticationRefused,
            "\(endpoint) refused the request (HTTP \(status))\(detail.isEmpty ? "" : ": \(detail)"); \(hint)",
            status: status
        )
    }

    public static func unexpectedResponse(_ endpoint: String, request: String, status: Int, detail: String) -> Self {
        Self(
            .unexpectedResponse,
            "\(request) on \(endpoint) answered HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")",
            status: status
        )
    }

    public static func malformedResponse(_ endpoint: String, request: String, detail: String) -> Self {
        Self(.malformedResponse, "\(request) on \(endpoint) returned an unusable response: \(detail)")
    }

    /// The state journal cannot be used; the run stops before it writes anything it could not record.
    public static func journal(_ path: String, _ detail: String) -> Self {
        Self(.journal, "state journal \(path): \(detail)")
    }

    /// `--report` or `--report-html` could not be written (the run itself finished).
    public static func reportUnwritable(_ path: String, reason: String) -> Self {
        Self(.reportUnwritable, "cannot write the report to \(path): \(reason)")
    }

    // MARK: per image

    /// The run was stopped (SIGINT/SIGTERM) while working on the image.
    public static func interrupted(_ detail: String) -> Self {
        Self(.interrupted, detail)
    }

    public var isInterruption: Bool { code == .interrupted }

    /// The target refused `PUT /file` (403, its policy): the copy is tried again through the import flow.
    public static func uploadRefused(_ endpoint: String, detail: String) -> Self {
        Self(
            .uploadRefused,
            "\(endpoint) refuses PUT /file (HTTP 403\(detail.isEmpty ? "" : ": \(detail)")); "
                + "switching to the glance-direct import",
            status: 403
        )
    }

    /// The spool file of an image cannot be written or read.
    public static func spool(_ path: String, _ detail: String) -> Self {
        Self(.spool, "spool file \(path): \(detail)")
    }

    public static func requestFailed(_ endpoint: String, request: String, status: Int, detail: String) -> Self {
        Self(
            .requestFailed,
            "\(request) on \(endpoint) answered HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")",
            status: status
        )
    }

    /// Glance's policy refused one image for a role the credentials lack: that image fails, the run goes on.
    public static func roleRefused(
        _ endpoint: String,
        request: String,
        refusal: RoleRefusal,
        detail: String
    )
        -> Self
    {
        Self(
            .requestFailed,
            "\(request) on \(endpoint) answered HTTP 403: \(detail); Glance's default policy allows "
                + "\(refusal.policy) to the \(refusal.role) role only, which the credentials lack",
            status: 403
        )
    }

    /// An error the tool does not recognise (from a library, the OS): one image fails with it as it is, never
    /// guessed into another category (it is not taken for a data mismatch: nothing is re-read or deleted).
    public static func unexpected(_ error: any Error) -> Self {
        Self(.unexpected, "unexpected error: \(error)")
    }

    /// Another run of the same job holds its lock (`RunLock`).
    public static func runLocked(_ detail: String) -> Self {
        Self(.runLocked, detail)
    }

    /// The lock file cannot be created or locked for another reason than a holder.
    public static func lockUnusable(_ path: String, reason: String) -> Self {
        Self(.lockUnusable, "cannot use the lock file \(path): \(reason)")
    }

    public static func dataMismatch(_ detail: String) -> Self {
        Self(.dataMismatch, detail)
    }

    public static func idUnavailable(_ id: String, endpoint: String) -> Self {
        Self(
            .idUnavailable,
            "\(endpoint) refuses image id \(id): it belonged to an image deleted there, and Glance never reuses a "
                + "deleted id; \(freeingBurntID(id))"
        )
    }

    /// An image this run was writing is gone from the target (`GET` answered 404): deleted there, perhaps by
    /// Glance after a conflicting change; its id is burnt on the target.
    public static func vanishedDuringUpload(_ id: String, endpoint: String, during what: String) -> Self {
        Self(
            .idUnavailable,
            "image \(id) vanished from \(endpoint) \(what) (GET /v2/images/\(id) answered 404: deleted there, perhaps "
                + "by Glance after a conflicting change), and Glance never reuses a deleted id; \(freeingBurntID(id))"
        )
    }

    /// What frees a burnt id on Glance 33 (verified on SQLite and MariaDB): the purge of the other tables
    /// first (their rows reference `images`: a foreign-key error otherwise), then of `images`, then the data
    /// a failed upload left in the store (Glance does not delete it, and a new upload of the id would meet
    /// it: 500 Duplicate, which burns the id again).
    static func freeingBurntID(_ id: String) -> String {
        "to free it, on that region run `glance-manage --config-file /etc/glance/glance-api.conf db purge "
            + "--age_in_days 0 --max_rows -1`, then `glance-manage --config-file /etc/glance/glance-api.conf db "
            + "purge_images_table --age_in_days 0 --max_rows -1` (both drop the records of every deleted image), "
            + "then remove the data a failed upload left in each store (file store: "
            + "FILESYSTEM_STORE_DATADIR/\(id)) before the next run; `glance-replicator status` lists burnt ids"
    }

    public static func imageBusy(_ id: String, endpoint: String, status: String) -> Self {
        Self(
            .imageBusy,
            "image \(id) on \(endpoint) is '\(status)' (an upload or import in progress, or one whose server died): "
                + "left as it is for a later run; if it stays so, delete it on the target and run again"
        )
    }

    /// The dump holds an image's record but not its data.
    public static func dumpDataMissing(_ id: String, path: String) -> Self {
        Self(
            .dumpDataMissing,
            "the dump has no data for image \(id) (\(path) is absent: a --metaonly dump, or one cut short); run "
                + "`dump` again without --metaonly to fetch it"
        )
    }

    public static func cannotRepair(_ detail: String) -> Self {
        Self(.cannotRepair, detail)
    }

    /// This error, seen while working on an image, with the image named.
    public func during(_ what: String) -> Self {
        Self(code, "\(what): \(message)", status: status)
    }
}
