import Foundation
import Testing

/// The real OpenStack client (python-openstackclient and openstacksdk from PyPI, installed by
/// `scripts/openstack-client`, whose `openstack` executable `scripts/test` exports as OPENSTACK_CLIENT), run
/// against the Keystone-backed regions with the clouds.yaml `scripts/keystone` writes: what an operator types.
struct OpenStackCLI: Sendable {
    static var executable: String? { ProcessInfo.processInfo.environment["OPENSTACK_CLIENT"] }
    static var available: Bool {
        KeystoneCloud.available && executable.map { FileManager.default.isExecutableFile(atPath: $0) } ?? false
    }

    let executable: String
    let cloudsFile: String
    let cloud: String

    static func require(cloud: String = "replicator-admin") throws -> OpenStackCLI {
        OpenStackCLI(
            executable: try #require(executable, "OPENSTACK_CLIENT is not set (scripts/openstack-client path)"),
            cloudsFile: try #require(KeystoneCloud.cloudsFile, "KEYSTONE_CLOUDS_YAML is not set"),
            cloud: cloud
        )
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `openstack --os-cloud CLOUD --os-region-name REGION ARGS...`; throws with its stderr when it fails.
    @discardableResult
    func run(_ region: String, _ arguments: [String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OS_") }
        environment["OS_CLIENT_CONFIG_FILE"] = cloudsFile
        environment["PYTHONWARNINGS"] = "ignore"
        let out = directory.appendingPathComponent("stdout").path
        let err = directory.appendingPathComponent("stderr").path
        let child = try ChildProcess(
            [executable, "--os-cloud", cloud, "--os-region-name", region] + arguments,
            environment: environment,
            stdout: out,
            stderr: err
        )
        let status = child.wait()
        let stdout = try String(contentsOfFile: out, encoding: .utf8)
        guard status == 0 else {
            let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
            throw Failure(description: "openstack \(arguments.joined(separator: " ")) exited \(status): \(stderr)")
        }
        return stdout
    }

    /// A command's `-f json` output.
    func json(_ region: String, _ arguments: [String]) throws -> Any {
        let text = try run(region, arguments + ["-f", "json"])
        return try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    /// `openstack image show -f json`.
    func show(_ region: String, _ id: String) throws -> [String: Any] {
        try #require(try json(region, ["image", "show", id]) as? [String: Any])
    }

    /// `openstack image member list -f json`: member project -> status.
    func members(_ region: String, _ id: String) throws -> [String: String] {
        let rows = try #require(try json(region, ["image", "member", "list", id]) as? [[String: Any]])
        var members: [String: String] = [:]
        for row in rows {
            if let member = row["Member ID"] as? String { members[member] = row["Status"] as? String ?? "" }
        }
        return members
    }

    /// `openstack image save`: the image's bytes as the client downloads them.
    func save(_ region: String, _ id: String) throws -> Data {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("osc-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try run(region, ["image", "save", "--file", file.path, id])
        return try Data(contentsOf: file)
    }
}

/// What `openstack image show` may show differently for a copy: the README's "allowed differences".
enum AllowedDifferences {
    /// Top-level fields: set by each region itself.
    static let fields: Set<String> = ["created_at", "updated_at"]
    /// Custom properties: the copy's provenance, and Glance's own import bookkeeping (`os_glance_*`, which
    /// Glance writes on the source's imports and never lets a client set).
    static func allows(property key: String) -> Bool {
        key == "glance_replicator_source" || key.hasPrefix("os_glance_")
    }

    /// The fields (and `properties.KEY` entries) of two `image show` documents that differ beyond the allowed
    /// ones; `owner` too unless `sameOwner`.
    static func differences(_ source: [String: Any], _ target: [String: Any], sameOwner: Bool = true) -> [String] {
        var differing: [String] = []
        let keys = Set(source.keys).union(target.keys).subtracting(fields).subtracting(sameOwner ? [] : ["owner"])
        for key in keys.sorted() where key != "properties" {
            if !equal(source[key], target[key]) {
                differing.append("\(key): \(describe(source[key])) vs \(describe(target[key]))")
            }
        }
        let sourceProperties = source["properties"] as? [String: Any] ?? [:]
        let targetProperties = target["properties"] as? [String: Any] ?? [:]
        for key in Set(sourceProperties.keys).union(targetProperties.keys).sorted() where !allows(property: key) {
            if !equal(sourceProperties[key], targetProperties[key]) {
                differing.append(
                    "properties.\(key): \(describe(sourceProperties[key])) vs \(describe(targetProperties[key]))"
                )
            }
        }
        return differing
    }

    static func equal(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let a as [Any], let b as [Any]):
            // Tags are a set: the client lists them in the server's order.
            return Set(a.map(describe)) == Set(b.map(describe))
        case (let a?, let b?): return describe(a) == describe(b)
        default: return false
        }
    }

    static func describe(_ value: Any?) -> String {
        guard let value else { return "absent" }
        if value is NSNull { return "null" }
        if let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
