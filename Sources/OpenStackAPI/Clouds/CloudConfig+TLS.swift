import CatalogDiff
import Foundation

extension CloudConfig.TLS {
    /// A cloud's TLS keys read the way openstacksdk reads them: `verify` is true, false or the path of a CA
    /// bundle, `insecure: true` turns verification off, `cacert` names the CA bundle (and wins over a
    /// `verify` path). Any other value is refused, so that a typo never turns verification off.
    init(cloud: String, verify: String?, insecure: String?, cacert: String?) throws(ReplicatorError) {
        var verifies = true
        var bundle = cacert.map(Self.expandingTilde)
        if let verify {
            if let flag = Self.boolean(verify) {
                verifies = flag
            } else if Self.isPath(verify) {
                bundle = bundle ?? Self.expandingTilde(verify)
            } else {
                throw ReplicatorError.cloudConfig(
                    "cloud \(cloud)",
                    "verify '\(verify)' is neither true, false nor the path of a CA bundle"
                )
            }
        }
        if let insecure {
            guard let flag = Self.boolean(insecure) else {
                throw ReplicatorError.cloudConfig("cloud \(cloud)", "insecure '\(insecure)' is neither true nor false")
            }
            if flag { verifies = false }
        }
        self.init(caFile: bundle, verify: verifies)
    }

    /// YAML 1.1's booleans as openstacksdk (and Python's YAML loader) take them.
    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: nil
        }
    }

    /// A CA bundle is named by a path: absolute, relative with a slash, `~/...`, or a file name ending .pem/.crt.
    static func isPath(_ text: String) -> Bool {
        text.contains("/") || text.hasSuffix(".pem") || text.hasSuffix(".crt")
    }

    static func expandingTilde(_ path: String) -> String {
        (path as NSString).expandingTildeInPath
    }

    /// Refuses a CA bundle that cannot be read, before anything is sent.
    func requireReadable(_ source: String) throws(ReplicatorError) {
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ReplicatorError.cloudConfig("cacert \(caFile)", "no such readable file (\(source))")
        }
    }
}
