import Foundation
import Logging
import Wire

/// Log lines as etcd 3.4 writes them with its zap logger: one JSON object a line on stderr,
/// `level`, `ts`, `caller`, `msg`, then the event's fields.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, JSONValue)] = [
            ("level", .string(Self.name(event.level))),
            ("ts", .string(Self.timestamp(Date()))),
            ("caller", .string("\(label)/\((event.file as NSString).lastPathComponent):\(event.line)")),
            ("msg", .string(event.message.description)),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }).sorted(by: { $0.key < $1.key }) {
            fields.append((key, .string(value.description)))
        }
        FileHandle.standardError.write(Data((JSONValue.object(fields).serialized() + "\n").utf8))
    }

    static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warn"
        case .error: "error"
        case .critical: "fatal"
        }
    }

    /// etcd's `2006-01-02T15:04:05.000Z` in UTC.
    static func timestamp(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        let millis = Int(date.timeIntervalSince1970 * 1000) % 1000
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }

    /// etcd's `--log-level` names as swift-log levels.
    public static func level(named name: String) -> Logger.Level {
        switch name {
        case "debug": .debug
        case "warn": .warning
        case "error": .error
        case "panic", "fatal": .critical
        default: .info
        }
    }
}
