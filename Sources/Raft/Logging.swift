/// A raft logger with the lines built only when they will be kept.
struct Logging {
    let logger: any RaftLogger

    func debug(_ message: @autoclosure () -> String) { emit(.debug, message) }
    func info(_ message: @autoclosure () -> String) { emit(.info, message) }
    func warning(_ message: @autoclosure () -> String) { emit(.warning, message) }
    func error(_ message: @autoclosure () -> String) { emit(.error, message) }

    /// Logs at fatal level and stops: raft found its own state or its storage broken.
    func fatal(_ message: @autoclosure () -> String) -> Never {
        let text = message()
        logger.log(.fatal, text)
        fatalError(text)
    }

    private func emit(_ level: LogLevel, _ message: () -> String) {
        if logger.isEnabled(level) { logger.log(level, message()) }
    }
}

/// Go's `%x` of a node ID, as etcd's log lines print IDs.
func hex(_ id: UInt64) -> String { String(id, radix: 16) }
