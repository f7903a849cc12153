import ArgumentParser
import Foundation
import Logging

/// How long-running commands write their logs: lines for people on a terminal, JSON lines for
/// log collectors. `auto` picks text when stderr is a terminal.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case auto, text, json

    /// Sets swift-log's process-wide handler (once, before any logger is made).
    func bootstrap(level: Logger.Level = .info) {
        let json = self == .json || (self == .auto && isatty(STDERR_FILENO) == 0)
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                json ? JSONLinesLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// One JSON object per line on stderr: `time` (RFC 3339, milliseconds, UTC), `level`, `label`,
/// `message` and the metadata as string fields (`item_id`, `task_id`, `worker`, `error`, ...).
/// Messages and metadata are encoded, so nothing a person typed can break a line.
struct JSONLinesLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        fields["time"] = Self.timestamp(Date())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(fields) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
