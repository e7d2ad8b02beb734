import Foundation
import Logging

/// `--log-format json`: one JSON object a line on stderr, for journald, Loki or Elasticsearch to index
/// without parsing prose. Every line carries `timestamp`, `level`, `message` and the logger's metadata
/// flattened into the object (`run_id` always; `target`, `image_id` where the line is about them).
/// Metadata never overwrites the four fixed keys.
struct JSONLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    let label: String

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var object: [String: Any] = merged.mapValues(Self.json)
        object["timestamp"] = Self.timestamp(Date())
        object["level"] = event.level.rawValue
        object["message"] = event.message.description
        object["logger"] = object["logger"] ?? label
        FileHandle.standardError.write(Self.line(object))
    }

    /// One line: sorted keys for stable output, slashes unescaped so URLs stay readable.
    static func line(_ object: [String: Any]) -> Data {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data(#"{"message":"unencodable log line"}"#.utf8)
        return data + Data("\n".utf8)
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let array): array.map(json)
        case .dictionary(let dictionary): dictionary.mapValues(json)
        }
    }

    /// RFC 3339 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
