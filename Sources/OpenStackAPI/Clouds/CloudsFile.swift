import CatalogDiff
import Foundation
import Yams

/// clouds.yaml and secure.yaml as openstacksdk reads them: found in the same places, secure.yaml merged
/// over clouds.yaml key by key, and the OS_* variables the openstack CLI honours applied on top.
///
/// Parsing and merging are pure (text and a dictionary in, a `CloudConfig` out) so they are unit-tested
/// without files; only `CloudsFile.load(environment:currentDirectory:)` touches the file system.
public struct CloudsFile: Sendable {
    /// The files read, for the message when a cloud is not found.
    public var searched: [String]
    /// The clouds.yaml read (nil when none was found).
    public var file: String?
    /// The clouds by name, each as a YAML mapping (secure.yaml already merged in).
    var clouds: [String: YAMLValue]

    /// A parsed YAML value reduced to what clouds.yaml uses (Yams' `Node` is not `Sendable`).
    indirect enum YAMLValue: Sendable, Hashable {
        case scalar(String)
        case list([YAMLValue])
        case map([String: YAMLValue])

        init(_ node: Node) {
            switch node {
            case .scalar(let scalar): self = .scalar(scalar.string)
            case .sequence(let sequence): self = .list(sequence.map(YAMLValue.init))
            case .mapping(let mapping):
                var map: [String: YAMLValue] = [:]
                for (key, value) in mapping { if let key = key.string { map[key] = YAMLValue(value) } }
                self = .map(map)
            case .alias: self = .scalar("")
            }
        }

        var string: String? { if case .scalar(let text) = self { text } else { nil } }
        var map: [String: YAMLValue]? { if case .map(let map) = self { map } else { nil } }
        var list: [YAMLValue]? { if case .list(let list) = self { list } else { nil } }
    }

    init(searched: [String], clouds: [String: YAMLValue]) {
        self.searched = searched
        file = searched.count == 1 ? searched[0] : nil
        self.clouds = clouds
    }

    /// Where openstacksdk looks, in order: OS_CLIENT_CONFIG_FILE, the current directory,
    /// $XDG_CONFIG_HOME/openstack (default ~/.config/openstack), /etc/openstack; the first file found wins.
    static func candidates(
        _ base: String,
        fileVariable: String,
        environment: [String: String],
        currentDirectory: String
    ) -> [String] {
        var paths: [String] = []
        if let file = environment[fileVariable], !file.isEmpty { paths.append(file) }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.config"
        for directory in [currentDirectory, "\(config)/openstack", "/etc/openstack"] {
            for ext in ["yaml", "yml"] { paths.append("\(directory)/\(base).\(ext)") }
        }
        return paths
    }

    /// Reads the first clouds.yaml and the first secure.yaml found (either may be missing).
    public static func load(
        environment: [String: String],
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ReplicatorError) -> CloudsFile {
        let clouds = candidates(
            "clouds",
            fileVariable: "OS_CLIENT_CONFIG_FILE",
            environment: environment,
            currentDirectory: currentDirectory
        )
        let secure = candidates(
            "secure",
            fileVariable: "OS_CLIENT_SECURE_FILE",
            environment: environment,
            currentDirectory: currentDirectory
        )
        func firstText(_ paths: [String]) -> (String, String)? {
            for path in paths {
                if let text = try? String(contentsOfFile: path, encoding: .utf8) { return (path, text) }
            }
            return nil
        }
        let main = firstText(clouds)
        let overlay = firstText(secure)
        var file = try parse(main?.1 ?? "", path: main?.0 ?? "clouds.yaml")
        if let overlay {
            file.merge(secure: try parse(overlay.1, path: overlay.0))
        }
        file.searched = main.map { [$0.0] } ?? clouds
        file.file = main?.0
        return file
    }

    /// Parses one clouds.yaml/secure.yaml text (an empty text is a file without clouds).
    public static func parse(_ text: String, path: String) throws(ReplicatorError) -> CloudsFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ReplicatorError.cloudConfig(path, describe(yamlError: error))
        }
        guard let root else { return CloudsFile(searched: [path], clouds: [:]) }
        guard let mapping = YAMLValue(root).map else { throw ReplicatorError.cloudConfig(path, "not a mapping") }
        guard let clouds = mapping["clouds"] else { return CloudsFile(searched: [path], clouds: [:]) }
        guard let cloudMapping = clouds.map else {
            throw ReplicatorError.cloudConfig(path, "'clouds' is not a mapping")
        }
        var result: [String: YAMLValue] = [:]
        for (name, value) in cloudMapping {
            guard value.map != nil else { throw ReplicatorError.cloudConfig(path, "cloud '\(name)' is not a mapping") }
            result[name] = value
        }
        return CloudsFile(searched: [path], clouds: result)
    }

    /// secure.yaml's values win, mapping by mapping (openstacksdk's merge).
    mutating func merge(secure: CloudsFile) {
        for (name, overlay) in secure.clouds {
            if let base = clouds[name] {
                clouds[name] = Self.merged(base, overlay)
            } else {
                clouds[name] = overlay
            }
        }
    }

    static func merged(_ base: YAMLValue, _ overlay: YAMLValue) -> YAMLValue {
        guard var result = base.map, let top = overlay.map else { return overlay }
        for (key, value) in top {
            if let existing = result[key] {
                result[key] = merged(existing, value)
            } else {
                result[key] = value
            }
        }
        return .map(result)
    }

    public var names: [String] { clouds.keys.sorted() }

    /// The cloud called `name`, with the OS_* environment applied the way the openstack CLI applies its
    /// `--os-*` defaults: auth values from OS_* override the file only for the cloud OS_CLOUD selects (or for
    /// `envvars`, the cloud openstacksdk builds from OS_* alone); OS_INTERFACE, OS_CACERT and OS_INSECURE
    /// apply to every cloud.
    public func cloud(_ name: String, environment: [String: String]) throws(ReplicatorError) -> CloudConfig {
        var values: [String: String] = [:]
        var regions: [String] = []
        if let entry = clouds[name]?.map {
            Self.flatten(entry, into: &values, regions: &regions)
        } else if !(name == "envvars" && environment["OS_AUTH_URL"] != nil) {
            throw ReplicatorError.unknownCloud(name, file: file, searched: searched, known: names)
        }
        let selected = name == "envvars" || environment["OS_CLOUD"] == name
        for (variable, key) in Self.authVariables where selected {
            if let value = environment[variable], !value.isEmpty { values[key] = value }
        }
        for (variable, key) in Self.sessionVariables {
            if let value = environment[variable], !value.isEmpty { values[key] = value }
        }
        if selected, let region = environment["OS_REGION_NAME"], !region.isEmpty, regions.isEmpty {
            regions = [region]
        }
        return try Self.config(name: name, values: values, regions: regions)
    }

    static let authVariables: [(String, String)] = [
        ("OS_AUTH_TYPE", "auth_type"), ("OS_AUTH_URL", "auth_url"), ("OS_USERNAME", "username"),
        ("OS_USER_ID", "user_id"), ("OS_PASSWORD", "password"), ("OS_PROJECT_NAME", "project_name"),
        ("OS_PROJECT_ID", "project_id"), ("OS_TENANT_NAME", "project_name"), ("OS_TENANT_ID", "project_id"),
        ("OS_USER_DOMAIN_NAME", "user_domain_name"), ("OS_USER_DOMAIN_ID", "user_domain_id"),
        ("OS_PROJECT_DOMAIN_NAME", "project_domain_name"), ("OS_PROJECT_DOMAIN_ID", "project_domain_id"),
        ("OS_DOMAIN_NAME", "domain_name"), ("OS_DOMAIN_ID", "domain_id"),
        ("OS_APPLICATION_CREDENTIAL_ID", "application_credential_id"),
        ("OS_APPLICATION_CREDENTIAL_NAME", "application_credential_name"),
        ("OS_APPLICATION_CREDENTIAL_SECRET", "application_credential_secret"), ("OS_TOKEN", "token"),
    ]

    static let sessionVariables: [(String, String)] = [
        ("OS_INTERFACE", "interface"), ("OS_CACERT", "cacert"), ("OS_INSECURE", "insecure"),
    ]

    /// The cloud's keys and its `auth:` keys in one dictionary of strings (auth keys win).
    static func flatten(_ entry: [String: YAMLValue], into values: inout [String: String], regions: inout [String]) {
        for (key, value) in entry {
            switch key {
            case "auth":
                for (authKey, authValue) in value.map ?? [:] {
                    if let text = authValue.string { values[authKey] = text }
                }
            case "regions":
                // A list of names, or of {name: ..., values: {...}} mappings.
                regions = (value.list ?? []).compactMap { $0.string ?? $0.map?["name"]?.string }
            default:
                if let text = value.string, values[key] == nil { values[key] = text }
            }
        }
        if regions.isEmpty, let region = values["region_name"] { regions = [region] }
    }

    static func config(
        name: String,
        values: [String: String],
        regions: [String]
    ) throws(ReplicatorError)
        -> CloudConfig
    {
        guard let authURL = values["auth_url"] else { throw ReplicatorError.cloudIncomplete(name, missing: "auth_url") }
        let user = CloudConfig.Reference(
            id: values["user_id"],
            name: values["username"],
            domainID: values["user_domain_id"] ?? values["domain_id"],
            domainName: values["user_domain_name"] ?? values["domain_name"]
        )
        let project = CloudConfig.Reference(
            id: values["project_id"],
            name: values["project_name"],
            domainID: values["project_domain_id"] ?? values["domain_id"],
            domainName: values["project_domain_name"] ?? values["domain_name"]
        )
        let type =
            values["auth_type"]
            ?? (values["application_credential_secret"] != nil ? "v3applicationcredential" : "password")
        let auth: CloudConfig.Auth
        switch type {
        case "password", "v3password":
            guard !user.isEmpty else { throw ReplicatorError.cloudIncomplete(name, missing: "username or user_id") }
            guard let password = values["password"] else {
                throw ReplicatorError.cloudIncomplete(name, missing: "password")
            }
            guard !project.isEmpty else {
                throw ReplicatorError.cloudIncomplete(name, missing: "project_name or project_id")
            }
            auth = .password(user: user, password: password, project: project)
        case "v3applicationcredential":
            guard let secret = values["application_credential_secret"] else {
                throw ReplicatorError.cloudIncomplete(name, missing: "application_credential_secret")
            }
            let id = values["application_credential_id"]
            let credentialName = values["application_credential_name"]
            guard id != nil || (credentialName != nil && !user.isEmpty) else {
                throw ReplicatorError.cloudIncomplete(
                    name,
                    missing: "application_credential_id (or application_credential_name with username)"
                )
            }
            auth = .applicationCredential(id: id, name: credentialName, user: user.isEmpty ? nil : user, secret: secret)
        case "token", "v3token":
            guard let token = values["token"] else { throw ReplicatorError.cloudIncomplete(name, missing: "token") }
            guard !project.isEmpty else {
                throw ReplicatorError.cloudIncomplete(name, missing: "project_name or project_id")
            }
            auth = .token(token, project: project)
        default:
            throw ReplicatorError.cloudConfig(
                "cloud \(name)",
                "auth_type '\(type)' is not supported (password, v3applicationcredential, token)"
            )
        }
        let tls = try CloudConfig.TLS(
            cloud: name,
            verify: values["verify"],
            insecure: values["insecure"],
            cacert: values["cacert"]
        )
        let interface = (values["interface"] ?? values["endpoint_type"] ?? "public").lowercased()
        guard ["public", "internal", "admin"].contains(interface) else {
            throw ReplicatorError.cloudConfig(
                "cloud \(name)",
                "interface '\(interface)' is not public, internal or admin"
            )
        }
        return CloudConfig(
            name: name,
            authURL: authURL,
            auth: auth,
            regions: regions,
            interface: interface,
            tls: tls
        )
    }
}
