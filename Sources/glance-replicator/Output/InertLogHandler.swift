import Logging

/// Text logs on stderr with every message and metadata value made inert (`TerminalText`): log lines quote
/// server data (names, errors with server messages, ids). Wraps swift-log's `StreamLogHandler`.
struct InertLogHandler: LogHandler {
    private var base: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(label: String) {
        base = StreamLogHandler.standardError(label: label)
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        event.message = "\(TerminalText.inert(event.message.description))"
        event.metadata = merged.mapValues { .string(TerminalText.inert("\($0)")) }
        base.log(event: event)
    }
}
