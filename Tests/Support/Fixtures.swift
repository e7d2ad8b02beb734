import Foundation

/// A file of `Tests/Fixtures`, shared by the suites: answers captured from real servers (`keystone/`: Keystone
/// 30's tokens and a refused password, from the Keystone `scripts/test` starts) and the clouds.yaml and
/// secure.yaml the clouds suites read (`clouds/`).
package func testFixture(_ path: String) throws -> Data {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/\(path)")
    return try Data(contentsOf: url)
}

/// A Keystone 30 answer of `Tests/Fixtures/keystone`.
package func keystoneFixture(_ name: String) throws -> Data {
    try testFixture("keystone/\(name)")
}

/// `Tests/Fixtures/clouds/clouds.yaml`: password, application-credential (by name and by id), token-only and
/// `verify: false` clouds; their secrets are in `secure.yaml` or inline, and never in any output.
package func cloudsYAML() throws -> String {
    String(decoding: try testFixture("clouds/clouds.yaml"), as: UTF8.self)
}
