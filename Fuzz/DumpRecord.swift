@testable import CatalogDiff

/// Fuzz target `dump-record`: one dump `<id>.json` as a file may hold it, read by the dump parser
/// (`ImageRecordParser`). No input may crash, hang or trap; an error is a fine answer.
func fuzzDumpRecord(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let buffer = UnsafeRawBufferPointer(start: bytes, count: count)
    guard let record = try? ImageRecordParser.parse(buffer) else { return 0 }
    _ = CatalogPlan(source: [record], target: [record], scope: ImageScope(), rules: FieldRules()).summary
    return 0
}
