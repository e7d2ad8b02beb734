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

    func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata explicit: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) {
        let merged = metadata.merging(explicit ?? [:]) { _, new in new }
        base.log(
            level: level,
            message: "\(TerminalText.inert(message.description))",
            metadata: merged.mapValues { .string(TerminalText.inert("\($0)")) },
            source: source,
            file: file,
            function: function,
            line: line
        )
    }
}
