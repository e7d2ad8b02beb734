import Foundation
import Testing
import Yams

extension DeployTests {
    /// The pod template of a Job or a CronJob (nil for other kinds).
    static func podSpec(of document: Node) -> Node? {
        switch document["kind"]?.string {
        case "CronJob": document["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"]
        case "Job": document["spec"]?["template"]?["spec"]
        default: nil
        }
    }

    /// What a pod spec mounts at `path`: the volume's definition (nil when nothing is mounted there).
    static func volume(mountedAt path: String, in pod: Node) -> Node? {
        for container in pod["containers"]?.array() ?? [] {
            for mount in container["volumeMounts"]?.array() ?? [] where mount["mountPath"]?.string == path {
                let name = mount["name"]?.string
                return (pod["volumes"]?.array() ?? []).first { $0["name"]?.string == name }
            }
        }
        return nil
    }

    static func environment(of pod: Node) -> [String: String] {
        var result: [String: String] = [:]
        for container in pod["containers"]?.array() ?? [] {
            for variable in container["env"]?.array() ?? [] {
                if let name = variable["name"]?.string, let value = variable["value"]?.string { result[name] = value }
            }
        }
        return result
    }

    /// The read-only root filesystem leaves the tool only its volumes: the journal must outlive the pod (a
    /// claim), and the spool must be a volume with a declared size (a claim or a generic ephemeral volume).
    @Test(arguments: ["cronjob.yaml", "indexed-job.yaml"])
    func stateAndSpoolAreOnDeclaredVolumes(manifest: String) throws {
        let documents = try Self.documents(Self.deploy.appendingPathComponent("k8s/\(manifest)"))
        let claims = Set(
            documents.filter { $0["kind"]?.string == "PersistentVolumeClaim" }.compactMap {
                $0["metadata"]?["name"]?.string
            }
        )
        for document in documents {
            guard let spec = Self.podSpec(of: document) else { continue }
            let environment = Self.environment(of: spec)
            let state = try #require(environment["XDG_STATE_HOME"], "\(manifest) sets no XDG_STATE_HOME")
            let cache = try #require(environment["XDG_CACHE_HOME"], "\(manifest) sets no XDG_CACHE_HOME")
            let stateVolume = try #require(Self.volume(mountedAt: state, in: spec), "nothing mounted at \(state)")
            let claim = try #require(stateVolume["persistentVolumeClaim"]?["claimName"]?.string)
            #expect(claims.contains(claim), "\(manifest): the journal's claim \(claim) is not declared in it")
            let spoolVolume = try #require(Self.volume(mountedAt: cache, in: spec), "nothing mounted at \(cache)")
            let sized =
                spoolVolume["persistentVolumeClaim"]?["claimName"]?.string.map(claims.contains) == true
                || spoolVolume["ephemeral"]?["volumeClaimTemplate"]?["spec"]?["resources"]?["requests"]?["storage"]
                    != nil
            #expect(sized, "\(manifest): the spool is not on a claim or a sized ephemeral volume")
            #expect(spec["securityContext"]?["fsGroup"]?.int == 65532, "\(manifest): the claims are not writable")
        }
    }

    @Test func systemdUnitKeepsStateAndSpoolInItsOwnDirectories() throws {
        let unit = try String(
            contentsOf: Self.deploy.appendingPathComponent("systemd/glance-replicator.service"),
            encoding: .utf8
        )
        let lines = Set(unit.split(separator: "\n").map(String.init))
        #expect(lines.contains("StateDirectory=glance-replicator"))
        #expect(lines.contains("CacheDirectory=glance-replicator"))
        #expect(lines.contains("Environment=XDG_STATE_HOME=%S XDG_CACHE_HOME=%C HOME=%S/glance-replicator"))
    }
}
