import Foundation

/// Which parser each run feeds: `FUZZ_TARGET` (`listing-page`, `dump-record`, `job-file`, `clouds-yaml`). One
/// binary for every target, so it is compiled once (`scripts/fuzz`).
enum FuzzTarget {
    case listingPage, dumpRecord, jobFile, cloudsYAML

    /// Read once; immutable after.
    static let selected: FuzzTarget = {
        switch ProcessInfo.processInfo.environment["FUZZ_TARGET"] {
        case "listing-page": return .listingPage
        case "dump-record": return .dumpRecord
        case "job-file": return .jobFile
        case "clouds-yaml": return .cloudsYAML
        default:
            FileHandle.standardError.write(
                Data("FUZZ_TARGET must be listing-page, dump-record, job-file or clouds-yaml\n".utf8)
            )
            exit(2)
        }
    }()
}

/// The one libFuzzer entry point of the binary `scripts/fuzz` builds from CatalogDiff's sources and this
/// folder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    switch FuzzTarget.selected {
    case .listingPage: fuzzListingPage(bytes, count)
    case .dumpRecord: fuzzDumpRecord(bytes, count)
    case .jobFile: fuzzJobFile(bytes, count)
    case .cloudsYAML: fuzzCloudsYAML(bytes, count)
    }
}
