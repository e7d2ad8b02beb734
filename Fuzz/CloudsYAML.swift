@testable import OpenStackAPI

/// Fuzz target `clouds-yaml`: one clouds.yaml (or secure.yaml) text as `CloudsFile` reads it, merged with itself
/// as secure.yaml would be, and every cloud in it turned into a `CloudConfig` (auth, TLS `verify`/`cacert`,
/// regions, interface). No input may crash, hang or trap; an error is a fine answer.
func fuzzCloudsYAML(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    guard var file = try? CloudsFile.parse(text, path: "clouds.yaml") else { return 0 }
    file.merge(secure: file)
    for name in file.names {
        _ = try? file.cloud(name, environment: [:])
    }
    _ = try? file.cloud("envvars", environment: ["OS_AUTH_URL": "http://127.0.0.1:5000/v3"])
    return 0
}
