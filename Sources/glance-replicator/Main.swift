import ArgumentParser
import Foundation

/// Entry point: parses, runs, and turns every outcome into one exit code. Argument errors exit 2 (the
/// contract), not argument-parser's default 64.
@main
enum Main {
    static func main() async {
        let code: Int32
        do {
            var command = try GlanceReplicator.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            code = 0
        } catch {
            code = ExitStatus.handle(error)
        }
        exit(code)
    }
}
