/// A raft logger with the lines built only when they will be kept.
struct Logging {
    let logger: any RaftLogger

    func debug(_ message: @autoclosure () -> String) { emit(.debug, message) }
    func info(_ message: @autoclosure () -> String) { emit(.info, message) }
    func warning(_ message: @autoclosure () -> String) { emit(.warning, message) }
    func error(_ message: @autoclosure () -> String) { emit(.error, message) }

    /// Raft found its own state or its storage broken: the logger stops the process
    /// unless it is a harness logger that lets raft continue as etcd's would.
    func panic(_ message: @autoclosure () -> String) { logger.panic(message()) }

    private func emit(_ level: LogLevel, _ message: () -> String) {
        if logger.isEnabled(level) { logger.log(level, message()) }
    }
}

