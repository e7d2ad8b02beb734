import Foundation
import SyncEngine

/// Writes a file so that readers see the old content or the new, never a part: the text is written to a
/// temporary file in the same folder and renamed over the target. node_exporter's textfile collector reads
/// its folder at any moment, and would otherwise report half a file.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws {
        try OwnFile.createFolder(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        // A dot name: the textfile collector reads only *.prom files, so it never sees the temporary one.
        // Metrics are read by the collector, which may run as another user: 0644.
        do {
            try OwnFile.replace(path, with: data, mode: OwnFile.publicMode)
        } catch let failure as OwnFile.Failure {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: failure.reason])
        }
    }
}
