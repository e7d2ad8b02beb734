import ArgumentParser
import Foundation

#if canImport(Glibc)
import CMalloc
#endif

/// Entry point: parses, runs, and turns every outcome into one exit code. Argument errors exit 2 (the
/// contract), not argument-parser's default 64.
@main
enum Main {
    static func main() async {
        tuneMemory()
        let code: Int32
        var unattended: UnattendedRun?
        do {
            var command = try JobFile.parseAsRoot(try LegacyCommandLine.fromProcess())
            if let job = command as? any JobCommand {
                if job.common.unattended.checkArgs { exit(checkOnly(job)) }
                let run = UnattendedRun(try UnattendedRun.Job(job))
                // A run stopped by another's lock writes no metrics: the holder writes the job's when it ends.
                try run.begin()
                unattended = run
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            code = 0
        } catch {
            code = ExitStatus.handle(error)
        }
        unattended?.finish(exitCode: code)
        exit(code)
    }

    /// `--check-args` (hidden): the arguments and job file parsed (the locations with them), nothing
    /// contacted, exit 0. The deploy/ test runs every command line of the manifests through it.
    static func checkOnly(_ job: any JobCommand) -> Int32 {
        ExitStatus.success
    }

    /// Streams pass through short-lived buffers of a few hundred KiB on many threads. glibc would serve them
    /// from one arena per thread and, once such a buffer is freed, raise its mmap threshold and keep the
    /// memory: resident size then grows with the number of images in flight. Two arenas and a fixed threshold
    /// hand large buffers back to the system as soon as they are freed.
    private static func tuneMemory() {
        #if canImport(Glibc)
        _ = mallopt(M_ARENA_MAX, 2)
        _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
        #endif
    }
}
