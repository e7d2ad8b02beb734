import ArgumentParser
import CatalogDiff
import Foundation
import SyncEngine
import Synchronization

/// The one place where outcomes become exit codes and errors become one line on stderr.
enum ExitStatus {
    static let success: Int32 = 0
    static let differences: Int32 = 1
    static let usage: Int32 = 2
    static let imagesFailed: Int32 = 3
    static let fatal: Int32 = 4
    /// Another run of the same job holds its lock (see `RunLock`).
    static let locked: Int32 = 5
    /// Stopped by SIGINT (128 + 2) or SIGTERM (128 + 15), as shells report signals.
    static let interrupted: Int32 = 130
    static let terminated: Int32 = 143

    /// A run that finished but must still exit non-zero (differences found, images failed).
    struct Finished: Error {
        var code: Int32
    }

    static func handle(_ error: any Error) -> Int32 {
        switch error {
        case let finished as Finished:
            return finished.code
        case let error as ReplicatorError:
            printError(error.message)
            switch error.category {
            case .usage: return usage
            case .fatal: return fatal
            case .image: return imagesFailed
            case .locked: return locked
            }
        case is CancellationError:
            printError("interrupted")
            return interrupted
        default:
            let parserCode = GlanceReplicator.exitCode(for: error)
            if parserCode == .success {  // --help, --version
                print(GlanceReplicator.fullMessage(for: error))
                return success
            }
            if parserCode.rawValue == EXIT_FAILURE, !(error is ExitCode) {
                // Not an argument error: something unforeseen. Still one line, never a trace.
                printError("unexpected error: \(error)")
                return fatal
            }
            let message = GlanceReplicator.fullMessage(for: error)
            FileHandle.standardError.write(Data((message + "\n").utf8))
            return usage
        }
    }

    static func printError(_ message: String) {
        if RunIdentity.errorsAsJSON.withLock({ $0 }) {
            let line: [String: Any] = [
                "level": "error", "message": message, "run_id": RunIdentity.id,
                "timestamp": JSONLogHandler.timestamp(Date()), "logger": "glance-replicator",
            ]
            FileHandle.standardError.write(JSONLogHandler.line(line))
            return
        }
        FileHandle.standardError.write(Data("glance-replicator: error: \(TerminalText.inert(message))\n".utf8))
    }
}
