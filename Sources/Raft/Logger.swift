/// Severity of a raft log line; the names are those etcd's loggers print.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    case debug, info, warning, error, fatal

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        case .fatal: "FATAL"
        }
    }
}

/// Where raft writes what it does. Raft formats a line only when `isEnabled` says it
/// will be kept, so a quiet logger costs nothing.
public protocol RaftLogger {
    func isEnabled(_ level: LogLevel) -> Bool
    func log(_ level: LogLevel, _ message: String)
    /// Raft found its own state or its storage inconsistent. The default logs at fatal
    /// level and stops the process. A logger that returns lets raft carry on as etcd's
    /// does under a non-panicking logger, which is what etcd's test harness uses.
    func panic(_ message: String)
}

extension RaftLogger {
    public func panic(_ message: String) {
        log(.fatal, message)
        fatalError(message)
    }
}

/// A logger that keeps nothing.
public struct DiscardLogger: RaftLogger {
    public init() {}
    public func isEnabled(_ level: LogLevel) -> Bool { false }
    public func log(_ level: LogLevel, _ message: String) {}
}
