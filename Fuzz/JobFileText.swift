@testable import CatalogDiff

/// Fuzz target `job-file`: one job file's text as `--config` reads it (`JobFile`, the CLI's own reader, compiled
/// in by `scripts/fuzz`), and the error line each entry's check may print. No input may crash, hang or trap; an
/// error is a fine answer.
func fuzzJobFile(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    guard let job = try? JobFile(parsing: text, path: "job.yaml") else { return 0 }
    for entry in job.entries {
        _ = job.error(entry, "checked").description
    }
    return 0
}
