import Logging
import Raft

/// Raft's log lines through swift-log, at raft's levels.
struct RaftLogBridge: RaftLogger {
    let logger: Logger

    func isEnabled(_ level: LogLevel) -> Bool { logger.logLevel <= swiftLevel(level) }

    func log(_ level: LogLevel, _ message: String) {
        logger.log(level: swiftLevel(level), "\(message)", metadata: ["component": "raft"])
    }

    private func swiftLevel(_ level: LogLevel) -> Logger.Level {
        switch level {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        case .fatal: .critical
        }
    }
}
