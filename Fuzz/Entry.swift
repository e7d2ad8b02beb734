import Foundation

/// The one libFuzzer entry point of the fuzz binary `scripts/fuzz` builds from CatalogDiff's sources and
/// this folder: `FUZZ_TARGET` (`listing-page`, `dump-record`) says which parser each run feeds. One binary
/// for every target: it is compiled once.
let fuzzTarget: (UnsafePointer<UInt8>, Int) -> CInt = {
    switch ProcessInfo.processInfo.environment["FUZZ_TARGET"] {
    case "listing-page": fuzzListingPage
    case "dump-record": fuzzDumpRecord
    default:
        FileHandle.standardError.write(Data("FUZZ_TARGET must be listing-page or dump-record\n".utf8))
        exit(2)
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    fuzzTarget(bytes, count)
}
