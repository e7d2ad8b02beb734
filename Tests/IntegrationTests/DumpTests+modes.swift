import Foundation
import Testing

extension DumpTests {
    /// A dump of a private or shared image is readable by its owner only; public and community ones by anyone.
    @Test func dumpsOfPrivateImagesArePrivate() async throws {
        var ids: [String: String] = [:]
        for visibility in ["public", "community", "shared", "private"] {
            let id = newID()
            try await a.seed(id, data: randomData(4096), ["name": visibility, "visibility": visibility])
            ids[visibility] = id
        }
        let dump = try ScratchDirectory("dump-modes")
        defer { dump.remove() }
        let result = try await CLIRunner.run([
            "dump", a.root, "dir:\(dump.path)", "--visibility", "public,community,shared,private",
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let umask = currentUmask()
        for (visibility, id) in ids {
            let wanted = (visibility == "public" || visibility == "community" ? 0o644 : 0o600) & ~umask
            for name in ["\(id).json", "\(id).img"] {
                let attributes = try FileManager.default.attributesOfItem(atPath: dump.file(name))
                #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == wanted, "\(visibility) \(name)")
            }
        }
        // Nothing but the records and the data: no temporary file left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dump.path).count == 8)
    }

    private func currentUmask() -> Int {
        let current = umask(0)
        umask(current)
        return Int(current)
    }
}
