import Foundation
import Testing

/// Suites and tests that need servers `scripts/test` starts (the Glance regions, Keystone, the old Glance) or
/// tools of the machine (Chromium): `@Suite(.needsRealRegions)`, `.needsServers("GLANCE_OLD_URL")`. Where they
/// are there, the suite runs. Where they are not, it is skipped with the reason, unless
/// GLANCE_REPLICATOR_REQUIRE_INTEGRATION=1 (set by `scripts/test`): then it fails, naming what is missing, so that
/// a green run proves that every suite ran.
extension Trait where Self == ConditionTrait {
    /// Regions A and B (GLANCE_REGION_A_URL, GLANCE_REGION_B_URL), which every live-region suite writes to.
    package static var needsRealRegions: Self {
        needsServers("GLANCE_REGION_A_URL", "GLANCE_REGION_B_URL")
    }

    /// The servers the environment variables name (each set and not empty).
    package static func needsServers(_ variables: String..., sourceLocation: SourceLocation = #_sourceLocation) -> Self
    {
        needs("\(variables.joined(separator: ", ")) is not set: run scripts/test", sourceLocation: sourceLocation) {
            variables.allSatisfy { RealRegions.environment[$0].map { !$0.isEmpty } ?? false }
        }
    }

    /// Something `isPresent` finds (a server, a tool, a setting); `missing` says what is not there.
    package static func needs(
        _ missing: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ isPresent: @escaping @Sendable () -> Bool
    ) -> Self {
        .enabled(Comment(rawValue: missing), sourceLocation: sourceLocation) {
            if isPresent() { return true }
            if RealRegions.required { throw MissingServer(description: missing) }
            return false
        }
    }
}

/// Why a suite that GLANCE_REPLICATOR_REQUIRE_INTEGRATION=1 makes mandatory could not run.
package struct MissingServer: Error, CustomStringConvertible {
    package var description: String

    init(description missing: String) {
        description = "GLANCE_REPLICATOR_REQUIRE_INTEGRATION=1, but \(missing)"
    }
}
