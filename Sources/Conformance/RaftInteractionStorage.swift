import Raft
import Wire

/// A node's storage in the interaction harness: etcd's MemoryStorage, except that the
/// snapshot it hands out is the last one of the node's history (one per applied entry),
/// as etcd's harness overrides it.
final class RaftInteractionStorage: RaftStorage {
    let memory = MemoryStorage()
    /// The state after each applied entry, starting with the bootstrap snapshot.
    var history: [Snapshot]

    init(bootstrap: Snapshot) { history = [bootstrap] }

    func initialState() -> (HardState, ConfState) { memory.initialState() }

    func entries(in range: Range<UInt64>, maxSize: UInt64) throws(StorageError) -> [Entry] {
        try memory.entries(in: range, maxSize: maxSize)
    }

    func term(at index: UInt64) throws(StorageError) -> UInt64 { try memory.term(at: index) }

    var firstIndex: UInt64 { memory.firstIndex }

    var lastIndex: UInt64 { memory.lastIndex }

    func snapshot() -> Snapshot { history[history.count - 1] }
}

/// The harness's logger: lines go to the command's output when at or above the level.
final class RaftInteractionLogger: RaftLogger {
    /// 0 DEBUG ... 4 FATAL, 5 NONE (nothing is logged).
    var level = 0
    var output = ""

    static let levelNames = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL", "NONE"]

    func isEnabled(_ level: LogLevel) -> Bool { level.rawValue >= self.level }

    func log(_ level: LogLevel, _ message: String) {
        guard isEnabled(level) else { return }
        output += "\(level) \(message)"
        if !message.hasSuffix("\n") { output += "\n" }
    }

    /// etcd's harness logger prints raft's panics and lets raft carry on.
    func panic(_ message: String) { log(.fatal, message) }
}
