#if canImport(Glibc)
import Glibc
#endif

/// The name of an entry `readdir` returned, read where it lies.
///
/// `dirent.d_name` is declared 256 bytes, but an entry holds only as many as its name needs: reading the
/// field as a value (`withUnsafeBytes(of: entry.pointee.d_name)` copies the whole array) reads past the end
/// of the entry, and for the last entries of the directory buffer past the end of mapped memory, which
/// crashed `compare` on a 100 000-file dump. Only the bytes up to the name's NUL are read here.
func directoryEntryName(_ entry: UnsafeMutablePointer<dirent>) -> UnsafeRawBufferPointer {
    let name = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \.d_name)!
    return UnsafeRawBufferPointer(start: name, count: strlen(name.assumingMemoryBound(to: CChar.self)))
}

extension DumpDirectory {
    /// The suffix of a record's file in the current layout.
    static let recordSuffix = Array(".json".utf8)

    /// Whether an entry's name is a record of the current layout: `<id>.json`, not hidden.
    static func isRecordName(_ name: UnsafeRawBufferPointer) -> Bool {
        name.count > recordSuffix.count && name.first != UInt8(ascii: ".")
            && name.suffix(recordSuffix.count).elementsEqual(recordSuffix)
    }
}
