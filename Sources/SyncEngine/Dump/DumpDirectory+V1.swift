import CatalogDiff
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Dumps written by Glance's old glance-replicator (v1), read beside this tool's own.
///
/// The old layout: an image's Images v1 record (`GET /v1/images/detail`'s JSON) in a file named by the bare
/// id, no extension, and its data in `<id>.img` (only for active images, and none with `--metaonly`). The
/// current layout: `<id>.json` holds the v2 record, `<id>.img` the data. Reading takes both (a record of the
/// current layout wins where an id has both); writing (`dump`) is in the current layout only, and never
/// into a directory holding old records, since both layouts name data `<id>.img`.
extension DumpDirectory {
    /// What a dump directory holds, by file names alone.
    struct Survey: Sendable, Hashable {
        /// `<id>.json` files (the current layout's records).
        var records = 0
        /// Their names without the suffix (the ids), for reading them without reading the directory again.
        var recordNames = DumpEntries()
        /// Ids of the old layout's records (bare UUIDs).
        var oldRecords: [String] = []
        /// Entries of neither layout, by name.
        var foreign: [String] = []
        /// Every entry, whatever it is.
        var entries = 0

        /// Sorts one directory entry into the layouts.
        mutating func add(_ name: String) {
            entries += 1
            if name.hasSuffix(".json"), !name.hasPrefix(".") {
                records += 1
            } else if DumpDirectory.isUUID(name) {
                oldRecords.append(name)
            } else if !Self.layoutSuffixes.contains(where: { name.hasSuffix($0) && name.count > $0.count }) {
                foreign.append(name)
            }
        }

        /// Data, partial data and a record being written (`<id>.json.tmp`), of either layout.
        static let layoutSuffixes = [".img", ".img.part", ".json.tmp"]
    }

    /// The old tool only ever took names of this form as records: a canonical UUID (any case).
    static func isUUID(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else if !(byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                && !(byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
                && !(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
            {
                return false
            }
        }
        return true
    }

    /// Every entry of the directory, sorted into the layouts. A missing directory is unreadable, or, with
    /// `missingIsEmpty` (a directory `dump` is about to create), empty.
    func survey(missingIsEmpty: Bool = false) throws(ReplicatorError) -> Survey {
        guard let stream = opendir(path) else {
            if errno == ENOENT, missingIsEmpty { return Survey() }
            throw ReplicatorError.dumpUnreadable(path, reason: String(cString: strerror(errno)))
        }
        defer { closedir(stream) }
        var survey = Survey()
        while let entry = readdir(stream) {
            let bytes = directoryEntryName(entry)
            // Most entries of a large dump are `<id>.json`: counted from their bytes, without a `String` each.
            if Self.isRecordName(bytes) {
                survey.entries += 1
                survey.records += 1
                survey.recordNames.append(bytes.dropLast(Self.recordSuffix.count))
                continue
            }
            let name = String(decoding: bytes, as: UTF8.self)
            if name != ".", name != ".." { survey.add(name) }
        }
        survey.oldRecords.sort()
        survey.foreign.sort()
        return survey
    }

    /// The catalog a dump holds, for reading it as a source or a target (compare, size, load, replicate):
    /// the records of both layouts, old ones mapped to v2 (`ImageRecordV1`). Entries of neither layout are a
    /// warning naming them; a directory with entries but no record at all is not a dump (a usage error).
    /// With `shared`, records share the storage of equal values with that catalog's (`SharedRecords`).
    public func listCatalog(
        logger: Logger,
        sharing shared: SharedRecords? = nil
    ) throws(ReplicatorError) -> [ImageRecord] {
        let survey = try survey()
        if !survey.foreign.isEmpty {
            let shown = survey.foreign.prefix(5).joined(separator: ", ")
            let more = survey.foreign.count > 5 ? " and \(survey.foreign.count - 5) more" : ""
            let entries = survey.foreign.count == 1 ? "entry" : "entries"
            logger.warning(
                "\(description): \(survey.foreign.count) \(entries) of neither dump layout, ignored: \(shown)\(more)"
            )
        }
        guard survey.entries == 0 || survey.records > 0 || !survey.oldRecords.isEmpty else {
            throw ReplicatorError.notADump(path, files: survey.entries)
        }
        var images = survey.records > 0 ? try listImages(sharing: shared, entries: survey.recordNames) : []
        guard !survey.oldRecords.isEmpty else { return images }
        let current = Set(images.map(\.id))
        for id in survey.oldRecords where !current.contains(id) {
            if let image = try oldRecord(id) { images.append(shared?.sharing(image) ?? image) }
        }
        return images
    }

    /// The old layout's record of `id` as a v2 record; nil for a deleted image.
    func oldRecord(_ id: String) throws(ReplicatorError) -> ImageRecord? {
        let file = "\(path)/\(id)"
        let data = try Self.readFile(file)
        let image: ImageRecord?
        do throws(ImageRecordV1.Invalid) {
            image = try ImageRecordV1.record(data)
        } catch {
            throw ReplicatorError.dumpUnreadable(file, reason: "not an Images v1 image record (\(error))")
        }
        if let image, image.id != id {
            throw ReplicatorError.dumpUnreadable(file, reason: "it describes image \(image.id)")
        }
        return image
    }

    /// `dump` refuses a directory holding the old layout's records: its `<id>.img` files are not this tool's
    /// to replace.
    func refuseOldLayout() throws(ReplicatorError) {
        let survey = try survey(missingIsEmpty: true)
        if !survey.oldRecords.isEmpty {
            throw ReplicatorError.oldDumpNotWritable(path, records: survey.oldRecords.count)
        }
    }
}
