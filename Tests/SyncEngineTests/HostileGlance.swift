import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One image record a `HostileGlance` serves; the fields are whatever a hostile or broken server says.
struct HostileImage: Sendable {
    var id: String
    var name = "image"
    var status = "active"
    var size: Int64? = 4
    var checksum: String? = HostileGlance.dataMD5
    var hashValue: String? = HostileGlance.dataSHA512
    var properties: [String: String] = [:]
    /// The member ids `GET /v2/images/{id}/members` lists (each `accepted`).
    var members: [String] = []

    var json: String {
        var object: [String: Any] = [
            "id": id, "name": name, "status": status, "visibility": "public", "disk_format": "raw",
            "container_format": "bare", "protected": false, "os_hidden": false, "min_disk": 0, "min_ram": 0,
            "tags": [], "owner": "admin", "created_at": "2026-11-25T22:04:41Z",
            "size": size.map { $0 as Any } ?? NSNull(), "checksum": checksum.map { $0 as Any } ?? NSNull(),
            "os_hash_algo": hashValue == nil ? NSNull() : "sha512",
            "os_hash_value": hashValue.map { $0 as Any } ?? NSNull(),
        ]
        for (key, value) in properties { object[key] = value }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// An in-process Glance (on `StagedGlance`'s server) with a catalog of its own, for what a real Glance never
/// does: ids that are not UUIDs, listings without end, answers dribbled, records stuck in `saving`. It
/// answers the few calls a copy makes (list, show, create, patch, upload, download, delete, members) and records
/// every request, so a test can assert which DELETEs reached it.
final class HostileGlance: Sendable {
    static let data = "data"
    static let dataMD5 = "8d777f385d3dfec8815d20f7496026dc"
    static let dataSHA512 =
        "77c7ce9a5d86bb386d443bb96390faa120633158699c8844c30b13ab0bf92760b7e4416aea397db91b4ac0e5dd56b8ef7e4b066162ab1fdc088319ce6defc876"

    /// How the listing pages.
    enum Paging: Sendable {
        /// One page holding every image.
        case normal
        /// Every page holds the same images and a `next`: the marker repeats.
        case loop
        /// Every page holds one new image and a `next`: it never ends.
        case endless
    }

    /// What `PUT /v2/images/{id}/file` does.
    enum Upload: Sendable {
        /// Stores the data: the record becomes active with these hashes.
        case store(checksum: String, hashValue: String)
        /// Answers this status and leaves the record in `saving` for good (a worker that died mid-upload).
        case dieSaving(HTTPResponseStatus)
        /// Answers this status; the record stays as it was.
        case refuse(HTTPResponseStatus)
    }

    private struct State {
        var images: [String: HostileImage]
        var order: [String]
        var endlessCount = 0
    }

    private let state: NIOLockedValueBox<State>
    let paging: Paging
    let upload: Upload
    /// Set to dribble every listing page (a byte per pause).
    let dribble: TimeAmount?
    private let server: NIOLockedValueBox<StagedGlance?> = NIOLockedValueBox(nil)

    private init(images: [HostileImage], paging: Paging, upload: Upload, dribble: TimeAmount?) {
        state = NIOLockedValueBox(
            State(images: Dictionary(uniqueKeysWithValues: images.map { ($0.id, $0) }), order: images.map(\.id))
        )
        self.paging = paging
        self.upload = upload
        self.dribble = dribble
    }

    static func start(
        _ images: [HostileImage],
        paging: Paging = .normal,
        upload: Upload = .store(checksum: dataMD5, hashValue: dataSHA512),
        dribble: TimeAmount? = nil
    ) async throws -> HostileGlance {
        let glance = HostileGlance(images: images, paging: paging, upload: upload, dribble: dribble)
        let server = try await StagedGlance.start { [glance] request in glance.answer(request) }
        glance.server.withLockedValue { $0 = server }
        return glance
    }

    private var staged: StagedGlance { server.withLockedValue { $0! } }
    var root: String { staged.root }
    var port: Int { staged.port }
    var requests: [RecordedRequest] { staged.requests }
    /// The paths of every DELETE received.
    var deletes: [String] { requests.filter { $0.method == .DELETE }.map { String($0.path) } }
    func image(_ id: String) -> HostileImage? { state.withLockedValue { $0.images[id] } }
    /// The ids it holds, in the order it lists them.
    var ids: [String] { state.withLockedValue { $0.order } }
    func stop() async throws { try await staged.stop() }

    // MARK: answers

    private func answer(_ request: RecordedRequest) -> StagedResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 2, parts[0] == "v2", parts[1] == "images" else {
            return StagedResponse(.notFound, body: "not here")
        }
        if parts.count == 2 {
            switch request.method {
            case .GET: return listing(marker: request.query["marker"])
            case .POST: return create(request.body)
            default: return StagedResponse(.methodNotAllowed)
            }
        }
        let id = parts[2].removingPercentEncoding ?? parts[2]
        let rest = parts.dropFirst(3).joined(separator: "/")
        return state.withLockedValue { state -> StagedResponse in
            guard var image = state.images[id] else { return StagedResponse(.notFound, body: "no image \(id)") }
            switch (request.method, rest) {
            case (.GET, ""): return .json(image.json)
            case (.PATCH, ""): return .json(image.json)
            case (.DELETE, ""):
                state.images[id] = nil
                state.order.removeAll { $0 == id }
                return StagedResponse(.noContent)
            case (.GET, "members"):
                let members = image.members.map { ["member_id": $0, "image_id": id, "status": "accepted"] }
                let data = try! JSONSerialization.data(withJSONObject: ["members": members], options: [.sortedKeys])
                return StagedResponse(
                    .ok,
                    headers: ["Content-Type": "application/json"],
                    body: String(decoding: data, as: UTF8.self)
                )
            case (.POST, "members"):
                return StagedResponse(.ok, headers: ["Content-Type": "application/json"], body: "{}")
            case (.DELETE, let path) where path.hasPrefix("members/"):
                image.members.removeAll { $0 == String(path.dropFirst("members/".count)) }
                state.images[id] = image
                return StagedResponse(.noContent)
            case (.GET, "file"):
                return StagedResponse(.ok, headers: ["Content-Type": "application/octet-stream"], body: Self.data)
            case (.PUT, "file"):
                switch upload {
                case .store(let checksum, let hashValue):
                    image.status = "active"
                    image.size = Int64(request.bodyBytes)
                    image.checksum = checksum
                    image.hashValue = hashValue
                    state.images[id] = image
                    return StagedResponse(.noContent)
                case .dieSaving(let status):
                    image.status = "saving"
                    state.images[id] = image
                    return StagedResponse(status, body: "worker died")
                case .refuse(let status):
                    return StagedResponse(status, body: "refused")
                }
            default: return StagedResponse(.notFound, body: "no \(rest)")
            }
        }
    }

    /// `POST /v2/images`: a queued record with the id and string properties asked for.
    private func create(_ body: String) -> StagedResponse {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let id = object["id"] as? String
        else { return StagedResponse(.badRequest, body: "no id") }
        return state.withLockedValue { state in
            guard state.images[id] == nil else { return StagedResponse(.conflict, body: "taken") }
            var image = HostileImage(id: id, status: "queued", size: nil, checksum: nil, hashValue: nil)
            image.name = object["name"] as? String ?? ""
            for (key, value) in object { if let text = value as? String, key != "id" { image.properties[key] = text } }
            state.images[id] = image
            state.order.append(id)
            return .json(image.json, status: .created)
        }
    }

    private func listing(marker: String?) -> StagedResponse {
        let page: String = state.withLockedValue { state in
            switch paging {
            case .normal:
                let images = state.order.compactMap { state.images[$0]?.json }
                return #"{"images": [\#(images.joined(separator: ", "))]}"#
            case .loop:
                let images = state.order.compactMap { state.images[$0]?.json }
                return #"{"images": [\#(images.joined(separator: ", "))], "next": "/v2/images?marker=x"}"#
            case .endless:
                state.endlessCount += 1
                let id = String(format: "00000000-0000-4000-8000-%012d", state.endlessCount)
                return #"{"images": [\#(HostileImage(id: id).json)], "next": "/v2/images?marker=\#(id)"}"#
            }
        }
        _ = marker
        return StagedResponse(.ok, headers: ["Content-Type": "application/json"], body: page, dribble: dribble)
    }
}
