import Foundation
import Testing
import Yams

/// The files in deploy/: every YAML parses, and every glance-replicator command line in them (Kubernetes
/// containers, the systemd unit, the crontab) is accepted by the real binary's parser. The binary is run
/// with the hidden `--check-args`, which parses and validates the arguments and the job file, checks the
/// locations and exits without contacting anything; `/etc/glance-replicator/` is replaced by a folder
/// holding the job file the manifest ships (its ConfigMap) or deploy/job.yaml.
@Suite("deploy/ files")
struct DeployTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy")

    /// One command line found in a deploy file, and the job files it may read from /etc/glance-replicator.
    struct Invocation: CustomTestStringConvertible {
        var origin: String
        var arguments: [String]
        var configFiles: [String: String]

        var testDescription: String { "\(origin): \(arguments.joined(separator: " "))" }
    }

    static func files(_ extensions: Set<String>) -> [URL] {
        let enumerator = FileManager.default.enumerator(at: deploy, includingPropertiesForKeys: nil)
        return (enumerator?.compactMap { $0 as? URL } ?? []).filter { extensions.contains($0.pathExtension) }
            .sorted { $0.path < $1.path }
    }

    static func documents(_ url: URL) throws -> [Node] {
        Array(try Yams.compose_all(yaml: String(contentsOf: url, encoding: .utf8)))
    }

    static func isBinary(_ word: String) -> Bool {
        word == "glance-replicator" || word.hasSuffix("/glance-replicator")
    }

    static var deployJobFile: [String: String] {
        let text = (try? String(contentsOf: deploy.appendingPathComponent("job.yaml"), encoding: .utf8)) ?? ""
        return ["job.yaml": text]
    }

    /// Containers of Jobs and CronJobs; ConfigMaps of the same file are the job files they mount.
    static func kubernetesInvocations() throws -> [Invocation] {
        var result: [Invocation] = []
        for url in files(["yaml", "yml"]) where url.deletingLastPathComponent().lastPathComponent == "k8s" {
            let documents = try documents(url)
            var configFiles: [String: String] = [:]
            for document in documents where document["kind"]?.string == "ConfigMap" {
                for (key, value) in document["data"]?.mapping ?? [:] {
                    if let name = key.string, let text = value.string { configFiles[name] = text }
                }
            }
            for document in documents {
                guard let podSpec = Self.podSpec(of: document) else { continue }
                for container in podSpec["containers"]?.array() ?? [] {
                    let words =
                        (container["command"]?.array() ?? []).compactMap(\.string)
                        + (container["args"]?.array() ?? []).compactMap(\.string)
                    guard let first = words.first, isBinary(first) else { continue }
                    result.append(
                        Invocation(
                            origin: url.lastPathComponent,
                            arguments: Array(words.dropFirst()),
                            configFiles: configFiles
                        )
                    )
                }
            }
        }
        return result
    }

    /// `ExecStart=` of the systemd units, and the crontab's commands up to their redirections.
    static func shellInvocations() throws -> [Invocation] {
        var result: [Invocation] = []
        for url in files(["service"]) {
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            where line.hasPrefix("ExecStart=") {
                let words = line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
                guard let first = words.first, isBinary(first) else { continue }
                result.append(
                    Invocation(
                        origin: url.lastPathComponent,
                        arguments: Array(words.dropFirst()),
                        configFiles: deployJobFile
                    )
                )
            }
        }
        let crontab = deploy.appendingPathComponent("crontab.example")
        for line in try String(contentsOf: crontab, encoding: .utf8).split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            // m h dom mon dow user command: the binary is a word of the command.
            guard !line.hasPrefix("#"), words.count > 6,
                let start = words.indices.first(where: { $0 >= 6 && isBinary(words[$0]) })
            else { continue }
            let stops: Set<String> = [">", ">>", "2>&1", "|", "&&", "||", ";"]
            let arguments = words[(start + 1)...].prefix { !stops.contains($0) && !$0.hasPrefix(">") }
            result.append(
                Invocation(origin: "crontab.example", arguments: Array(arguments), configFiles: deployJobFile)
            )
        }
        return result
    }

    static func invocations() -> [Invocation] {
        ((try? kubernetesInvocations()) ?? []) + ((try? shellInvocations()) ?? [])
    }

    @Test func everyYAMLFileParses() throws {
        let urls = Self.files(["yaml", "yml"])
        #expect(urls.count >= 4, "\(urls)")
        for url in urls {
            let documents = try Self.documents(url)
            #expect(!documents.isEmpty, "\(url.lastPathComponent) has no document")
            for document in documents {
                #expect(document.mapping != nil, "\(url.lastPathComponent): a document is not a mapping")
            }
        }
    }

    @Test func everyKindOfDeployFileHasACommandLine() throws {
        let origins = Set(try Self.kubernetesInvocations().map(\.origin) + Self.shellInvocations().map(\.origin))
        #expect(origins == ["cronjob.yaml", "indexed-job.yaml", "glance-replicator.service", "crontab.example"])
        #expect(try Self.shellInvocations().filter { $0.origin == "crontab.example" }.count == 3)
    }

    @Test(arguments: DeployTests.invocations())
    func commandLineIsAcceptedByTheBinary(_ invocation: Invocation) async throws {
        let etc = ScratchDirectory.unusedURL("etc")
        try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: etc) }
        for (name, text) in invocation.configFiles {
            try text.write(to: etc.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let arguments = invocation.arguments.map {
            $0.replacingOccurrences(of: "/etc/glance-replicator/", with: etc.path + "/")
        }
        let result = try await CLIRunner.run(arguments + ["--check-args"], environment: ["JOB_COMPLETION_INDEX": "0"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty && result.stdout.isEmpty)
    }

    /// The check is not a formality: a wrong argument fails it.
    @Test(arguments: [
        ["replicate", "127.0.0.1:1", "127.0.0.1:2", "--window", "22:00"],
        ["replicate", "127.0.0.1:1", "127.0.0.1:2", "--shard-count", "4"],
        ["compare", "127.0.0.1:1", "ftp://x"],
        ["replicate", "127.0.0.1:1", "127.0.0.1:2", "--frobnicate"],
    ])
    func checkArgsRejectsWhatARunWould(arguments: [String]) async throws {
        let result = try await CLIRunner.run(arguments + ["--check-args"])
        #expect(result.status == 2, "stderr: \(result.stderr)")
    }

    @Test func indexedJobRunsOneShardPerCompletionIndex() throws {
        let url = Self.deploy.appendingPathComponent("k8s/indexed-job.yaml")
        let job = try #require(try Self.documents(url).first { $0["kind"]?.string == "Job" })
        #expect(job["spec"]?["completionMode"]?.string == "Indexed")
        let completions = try #require(job["spec"]?["completions"]?.int)
        let invocation = try #require(try Self.kubernetesInvocations().first { $0.origin == "indexed-job.yaml" })
        let index = try #require(invocation.arguments.firstIndex(of: "--shard-count"))
        #expect(invocation.arguments[index + 1] == "\(completions)")
    }

    @Test func credentialsComeFromTheSecretInEveryKubernetesManifest() throws {
        for name in ["cronjob.yaml", "indexed-job.yaml"] {
            let text = try String(contentsOf: Self.deploy.appendingPathComponent("k8s/\(name)"), encoding: .utf8)
            #expect(text.contains("secretName: glance-replicator-credentials"), "\(name)")
            #expect(text.contains("mountPath: /etc/openstack/clouds.yaml"), "\(name)")
            #expect(!text.contains("--token"), "\(name) puts a token on the command line")
        }
    }
}
