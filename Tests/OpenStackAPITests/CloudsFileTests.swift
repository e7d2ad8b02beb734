import CatalogDiff
import Foundation
import Testing

@testable import OpenStackAPI

private func file() throws -> CloudsFile {
    var file = try CloudsFile.parse(try cloudsYAML(), path: "/etc/openstack/clouds.yaml")
    let secure = String(decoding: try testFixture("clouds/secure.yaml"), as: UTF8.self)
    file.merge(secure: try CloudsFile.parse(secure, path: "/etc/openstack/secure.yaml"))
    return file
}

@Suite("clouds.yaml, secure.yaml and OS_* variables")
struct CloudsFileTests {
    @Test func passwordCloudTakesItsPasswordFromSecureYAML() throws {
        let cloud = try file().cloud("replicator", environment: [:])
        #expect(cloud.authURL == "http://127.0.0.1:5000/v3")
        #expect(cloud.regions == ["region-a", "region-b"])
        #expect(cloud.interface == "public")
        #expect(cloud.tls == .system)
        let user = CloudConfig.Reference(name: "replicator", domainName: "Default")
        let project = CloudConfig.Reference(name: "demo", domainName: "Default")
        #expect(cloud.auth == .password(user: user, password: "pw-s3cret", project: project))
    }

    @Test func applicationCredentialByNameKeepsItsUserAndInterface() throws {
        let cloud = try file().cloud("replicator-appcred", environment: [:])
        #expect(cloud.authURL == "http://127.0.0.1:5000/v3")
        #expect(cloud.interface == "internal")
        #expect(cloud.regions == ["region-a"])
        #expect(try cloud.defaultRegion() == "region-a")
        let user = CloudConfig.Reference(name: "replicator", domainName: "Default")
        #expect(
            cloud.auth
                == .applicationCredential(id: nil, name: "replicator-appcred", user: user, secret: "appcred-s3cret")
        )
    }

    @Test func tlsSettingsComeFromTheCloudOrTheEnvironment() throws {
        #expect(try file().cloud("by-id", environment: [:]).tls == CloudConfig.TLS(caFile: "/etc/ssl/private-ca.pem"))
        #expect(try file().cloud("lab", environment: [:]).tls == CloudConfig.TLS(verify: false))
        #expect(try file().cloud("lab", environment: [:]).regions == ["lab-1"])
        let insecure = try file().cloud("replicator", environment: ["OS_INSECURE": "true"])
        #expect(insecure.tls.verify == false)
        let cacert = try file().cloud("replicator", environment: ["OS_CACERT": "/tmp/ca.pem"])
        #expect(cacert.tls == CloudConfig.TLS(caFile: "/tmp/ca.pem"))
    }

    @Test func environmentOverridesOnlyTheCloudOSCloudSelects() throws {
        let environment = ["OS_CLOUD": "replicator", "OS_PASSWORD": "from-env", "OS_REGION_NAME": "region-b"]
        let selected = try file().cloud("replicator", environment: environment)
        guard case .password(_, let password, _) = selected.auth else {
            Issue.record("not a password cloud")
            return
        }
        #expect(password == "from-env")
        let other = try file().cloud("lab", environment: environment)
        guard case .password(_, let labPassword, _) = other.auth else {
            Issue.record("not a password cloud")
            return
        }
        #expect(labPassword == "lab-s3cret")
    }

    @Test func envvarsCloudIsBuiltFromOSVariablesAlone() throws {
        let environment = [
            "OS_AUTH_URL": "http://127.0.0.1:5000/v3", "OS_APPLICATION_CREDENTIAL_ID": "abc",
            "OS_APPLICATION_CREDENTIAL_SECRET": "env-s3cret", "OS_REGION_NAME": "region-b",
            "OS_INTERFACE": "admin",
        ]
        let cloud = try CloudsFile.parse("", path: "clouds.yaml").cloud("envvars", environment: environment)
        #expect(cloud.auth == .applicationCredential(id: "abc", name: nil, user: nil, secret: "env-s3cret"))
        #expect(cloud.regions == ["region-b"])
        #expect(cloud.interface == "admin")
    }

    @Test func tokenAuthNeedsAProject() throws {
        let cloud = try file().cloud("token-only", environment: [:])
        #expect(cloud.auth == .token("gAAAAfixed", project: CloudConfig.Reference(name: "demo")))
    }

    @Test(arguments: [
        ("clouds: {c: {auth: {username: u, password: p, project_name: x}}}", "has no auth_url"),
        ("clouds: {c: {auth: {auth_url: http://k, username: u, project_name: x}}}", "has no password"),
        ("clouds: {c: {auth: {auth_url: http://k, username: u, password: p}}}", "has no project_name or project_id"),
        (
            "clouds: {c: {auth_type: v3applicationcredential, auth: {auth_url: http://k, application_credential_name: n, application_credential_secret: s}}}",
            "application_credential_id (or"
        ),
        ("clouds: {c: {auth_type: v3oidc, auth: {auth_url: http://k}}}", "auth_type 'v3oidc' is not supported"),
        (
            "clouds: {c: {interface: private, auth: {auth_url: http://k, token: t, project_id: p}, auth_type: token}}",
            "interface 'private'"
        ),
    ])
    func incompleteCloudIsAConfigurationError(_ yaml: String, _ message: String) throws {
        let error = #expect(throws: ReplicatorError.self) {
            try CloudsFile.parse(yaml, path: "clouds.yaml").cloud("c", environment: [:])
        }
        #expect(error?.category == .usage)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func unknownCloudNamesTheFileAndItsClouds() throws {
        let error = #expect(throws: ReplicatorError.self) { try file().cloud("prod", environment: [:]) }
        #expect(error?.category == .usage)
        #expect(error?.message.contains("cloud 'prod' is not in /etc/openstack/clouds.yaml") == true)
        #expect(error?.message.contains("by-id, lab, replicator") == true)
    }

    @Test func noCloudsYAMLSaysWhereItLooked() throws {
        let file = try CloudsFile.load(
            environment: ["HOME": "/nonexistent", "OS_CLIENT_CONFIG_FILE": "/nonexistent/c.yaml"],
            currentDirectory: "/nonexistent"
        )
        let error = #expect(throws: ReplicatorError.self) { try file.cloud("prod", environment: [:]) }
        #expect(error?.category == .usage)
        #expect(
            error?.message.hasPrefix(
                "cloud 'prod' is not defined: no clouds.yaml found (looked for /nonexistent/c.yaml, /nonexistent/clouds.yaml"
            ) == true
        )
        #expect(error?.message.hasSuffix("/etc/openstack/clouds.yml); set OS_CLIENT_CONFIG_FILE") == true)
    }

    @Test(arguments: ["clouds: [a, b]", "clouds: {a: 1}", "clouds: {a: [", "- just a list"])
    func malformedFileIsAConfigurationError(_ yaml: String) {
        let error = #expect(throws: ReplicatorError.self) { try CloudsFile.parse(yaml, path: "x.yaml") }
        #expect(error?.category == .usage)
        #expect(error?.message.hasPrefix("x.yaml: ") == true)
    }

    @Test func searchOrderIsOpenstacksdks() {
        let paths = CloudsFile.candidates(
            "clouds",
            fileVariable: "OS_CLIENT_CONFIG_FILE",
            environment: ["OS_CLIENT_CONFIG_FILE": "/run/c.yaml", "HOME": "/home/op"],
            currentDirectory: "/work"
        )
        #expect(
            paths == [
                "/run/c.yaml", "/work/clouds.yaml", "/work/clouds.yml", "/home/op/.config/openstack/clouds.yaml",
                "/home/op/.config/openstack/clouds.yml", "/etc/openstack/clouds.yaml", "/etc/openstack/clouds.yml",
            ]
        )
        let xdg = CloudsFile.candidates(
            "secure",
            fileVariable: "OS_CLIENT_SECURE_FILE",
            environment: ["XDG_CONFIG_HOME": "/xdg", "HOME": "/home/op"],
            currentDirectory: "/work"
        )
        #expect(xdg[2] == "/xdg/openstack/secure.yaml")
    }

    @Test func descriptionsNeverShowSecrets() throws {
        let file = try file()
        for name in file.names {
            let cloud = try file.cloud(name, environment: [:])
            for secret in ["pw-s3cret", "appcred-s3cret", "id-s3cret", "lab-s3cret", "gAAAAfixed"] {
                #expect(!"\(cloud)".contains(secret))
            }
        }
    }

    @Test func severalRegionsNeedOneNamed() throws {
        let cloud = try file().cloud("replicator", environment: [:])
        let error = #expect(throws: ReplicatorError.self) { try cloud.defaultRegion() }
        #expect(
            error?.message == "cloud replicator has regions region-a, region-b: name one as cloud:replicator/REGION"
        )
    }

    /// openstacksdk's `verify`: true, false, or the path of a CA bundle; anything else is refused rather than
    /// read as false.
    @Test(arguments: [
        ("true", CloudConfig.TLS.system), ("yes", .system), ("false", CloudConfig.TLS(verify: false)),
        ("False", CloudConfig.TLS(verify: false)), ("/etc/ssl/ca.pem", CloudConfig.TLS(caFile: "/etc/ssl/ca.pem")),
        ("ca/bundle.pem", CloudConfig.TLS(caFile: "ca/bundle.pem")),
    ])
    func verifyIsABooleanOrACABundle(value: String, expected: CloudConfig.TLS) throws {
        let yaml = "clouds:\n  c:\n    auth: {auth_url: https://k/v3, username: u, password: p, project_name: x}\n"
        let file = try CloudsFile.parse(yaml + "    verify: \(value)\n", path: "clouds.yaml")
        #expect(try file.cloud("c", environment: [:]).tls == expected)
    }

    @Test(arguments: ["verify: treu", "verify: nope", "insecure: maybe", "verify: ''"])
    func aTypoInTLSKeysIsRefused(line: String) throws {
        let yaml = "clouds:\n  c:\n    auth: {auth_url: https://k/v3, username: u, password: p, project_name: x}\n"
        let file = try CloudsFile.parse(yaml + "    \(line)\n", path: "clouds.yaml")
        let error = #expect(throws: ReplicatorError.self) { try file.cloud("c", environment: [:]) }
        #expect(error?.category == .usage)
        #expect(error?.message.hasPrefix("cloud c: ") == true)
    }

    @Test func cacertWinsOverAVerifyPathAndInsecureTurnsVerificationOff() throws {
        let yaml = "clouds:\n  c:\n    auth: {auth_url: https://k/v3, username: u, password: p, project_name: x}\n"
        let both = try CloudsFile.parse(yaml + "    verify: /a.pem\n    cacert: /b.pem\n", path: "clouds.yaml")
        #expect(try both.cloud("c", environment: [:]).tls == CloudConfig.TLS(caFile: "/b.pem"))
        let insecure = try CloudsFile.parse(yaml + "    insecure: true\n", path: "clouds.yaml")
        #expect(try insecure.cloud("c", environment: [:]).tls.verify == false)
    }

    /// A YAML error names the line and column, never the text: the line may be a password.
    @Test(arguments: [
        "clouds:\n  c:\n    auth:\n      password: pw-s3cret: oops\n",
        "clouds:\n  c:\n    auth:\n      password: \"pw-s3cret\n",
        "clouds:\n  c:\n\tpassword: pw-s3cret\n",
        "clouds:\n  c: {password: pw-s3cret\n",
    ])
    func yamlErrorsNeverEchoTheFile(text: String) throws {
        let error = #expect(throws: ReplicatorError.self) {
            try CloudsFile.parse(text, path: "/etc/openstack/secure.yaml")
        }
        #expect(error?.category == .usage)
        #expect(error?.message.hasPrefix("/etc/openstack/secure.yaml: not valid YAML") == true)
        #expect(error?.message.contains("s3cret") == false)
        #expect(error?.message.contains("\n") == false)
    }
}
