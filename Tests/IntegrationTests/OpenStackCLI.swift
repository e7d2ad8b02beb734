import Foundation
import Testing

/// The real OpenStack client (python-openstackclient and openstacksdk from PyPI, installed by
/// `scripts/openstack-client`; `scripts/test` exports its `openstack` as OPENSTACK_CLIENT), run against the
/// Keystone-backed regions with the clouds.yaml `scripts/keystone` writes: what an operator types. Commands run
/// in batches through `scripts/openstack-client batch`, the client's own entry point once per command in one
/// Python process, because starting the interpreter and importing the client costs seconds per command.
struct OpenStackCLI: Sendable {
    static var executable: String? { ProcessInfo.processInfo.environment["OPENSTACK_CLIENT"] }
    /// `scripts/openstack-client` of this checkout.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/openstack-client").path

    let cloudsFile: String
    let cloud: String

    static func require(cloud: String = "replicator-admin") throws -> OpenStackCLI {
        let executable = try #require(executable, "OPENSTACK_CLIENT is not set (scripts/test exports it)")
        try #require(FileManager.default.isExecutableFile(atPath: executable), "\(executable) is not installed")
        return OpenStackCLI(
            cloudsFile: try #require(KeystoneCloud.cloudsFile, "KEYSTONE_CLOUDS_YAML is not set"),
            cloud: cloud
        )
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Outcome {
        var status: Int
        var stdout: String
        var stderr: String
    }

    /// Runs `openstack --os-cloud CLOUD --os-region-name REGION ARGS...` for each of `commands`, in order.
    func batch(_ region: String, _ commands: [[String]]) throws -> [Outcome] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let jobs = commands.enumerated().map { index, arguments in
            [
                "argv": ["--os-cloud", cloud, "--os-region-name", region] + arguments,
                "stdout": directory.appendingPathComponent("\(index).out").path,
                "stderr": directory.appendingPathComponent("\(index).err").path,
            ] as [String: Any]
        }
        let jobsFile = directory.appendingPathComponent("jobs.json")
        try JSONSerialization.data(withJSONObject: jobs).write(to: jobsFile)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OS_") }
        environment["OS_CLIENT_CONFIG_FILE"] = cloudsFile
        environment["PYTHONWARNINGS"] = "ignore"
        let out = directory.appendingPathComponent("codes").path
        let err = directory.appendingPathComponent("batch.err").path
        let status = try ChildProcess(
            [Self.script, "batch", jobsFile.path],
            environment: environment,
            stdout: out,
            stderr: err
        ).wait()
        let codes = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [Int]
        guard status == 0, let codes, codes.count == commands.count else {
            throw Failure(
                description:
                    "scripts/openstack-client batch exited \(status): \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")"
            )
        }
        return try codes.enumerated().map { index, code in
            Outcome(
                status: code,
                stdout: try String(contentsOfFile: jobs[index]["stdout"] as! String, encoding: .utf8),
                stderr: try String(contentsOfFile: jobs[index]["stderr"] as! String, encoding: .utf8)
            )
        }
    }

    /// Each command must succeed; returns their stdout.
    @discardableResult
    func run(_ region: String, _ commands: [[String]]) throws -> [String] {
        try zip(commands, batch(region, commands)).map { command, outcome in
            guard outcome.status == 0 else {
                throw Failure(
                    description: "openstack \(command.joined(separator: " ")) exited \(outcome.status): "
                        + outcome.stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
                )
            }
            return outcome.stdout
        }
    }

    @discardableResult
    func run(_ region: String, _ arguments: [String]) throws -> String {
        try run(region, [arguments])[0]
    }

    /// Commands' `-f json` outputs.
    func json(_ region: String, _ commands: [[String]]) throws -> [Any] {
        try run(region, commands.map { $0 + ["-f", "json"] }).map {
            try JSONSerialization.jsonObject(with: Data($0.utf8))
        }
    }

    /// `openstack image show -f json` of each image, by id.
    func show(_ region: String, _ ids: [String]) throws -> [String: [String: Any]] {
        let documents = try json(region, ids.map { ["image", "show", $0] })
        var shown: [String: [String: Any]] = [:]
        for (id, document) in zip(ids, documents) { shown[id] = document as? [String: Any] }
        return shown
    }

    func show(_ region: String, _ id: String) throws -> [String: Any] {
        try #require(try show(region, [id])[id])
    }

    /// `openstack image member list -f json`: member project -> status.
    func members(_ region: String, _ id: String) throws -> [String: String] {
        let rows = try #require(try json(region, [["image", "member", "list", id]])[0] as? [[String: Any]])
        var members: [String: String] = [:]
        for row in rows {
            if let member = row["Member ID"] as? String { members[member] = row["Status"] as? String ?? "" }
        }
        return members
    }

    /// `openstack image save` of each image: its bytes as the client downloads them, by id.
    func save(_ region: String, _ ids: [String]) throws -> [String: Data] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osc-save-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try run(region, ids.map { ["image", "save", "--file", directory.appendingPathComponent($0).path, $0] })
        var saved: [String: Data] = [:]
        for id in ids { saved[id] = try Data(contentsOf: directory.appendingPathComponent(id)) }
        return saved
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
