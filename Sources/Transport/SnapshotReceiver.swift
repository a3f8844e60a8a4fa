import Foundation
import Wire

/// One `POST /raft/snapshot` body arriving in pieces: the 8-byte length and the MsgSnap
/// message, then the state machine's bytes, written to `<index>.snap.db.tmp` as they come
/// (never held whole) and renamed to `<index>.snap.db` once the body is complete and synced.
struct SnapshotReceiver {
    let directory: String
    /// The message's frame until it is whole.
    private var head: [UInt8] = []
    private(set) var message: Message?
    private var file: FileHandle?
    private var path: String?
    private(set) var received = 0

    /// The most a MsgSnap's own frame may be (its data is membership, not the state machine).
    static let messageLimit = 64 << 20

    enum Failure: Error, CustomStringConvertible {
        case badMessage(String)
        case disk(String)

        var description: String {
            switch self {
            case .badMessage(let reason): "error reading raft message: \(reason)"
            case .disk(let reason): "error saving snapshot: \(reason)"
            }
        }
    }

    init(directory: String) { self.directory = directory }

    mutating func feed(_ bytes: [UInt8]) throws(Failure) {
        received += bytes.count
        var rest = bytes[...]
        if message == nil {
            head += rest
            rest = []
            guard head.count >= 8 else { return }
            let length = head[..<8].reduce(0) { $0 << 8 | Int($1) }
            guard length <= Self.messageLimit else { throw .badMessage("message of \(length) bytes") }
            guard head.count >= 8 + length else { return }
            let decoded: Message
            do { decoded = try Message(serializedBytes: Array(head[8..<(8 + length)])) } catch { throw .badMessage("\(error)") }
            guard decoded.type == .msgSnap else { throw .badMessage("not a MsgSnap") }
            let snapshot = decoded.snapshot
            message = decoded
            rest = head[(8 + length)...]
            head = []
            let target = SnapshotFiles.dbPath(directory: directory, index: snapshot.metadata.index) + ".tmp"
            guard FileManager.default.createFile(atPath: target, contents: nil), let handle = FileHandle(forWritingAtPath: target) else {
                throw .disk("cannot create \(target)")
            }
            file = handle
            path = target
        }
        guard !rest.isEmpty, let file else { return }
        do { try file.write(contentsOf: rest) } catch { throw .disk("\(error)") }
    }

    /// The body is complete: syncs and renames the file; the message to hand to raft.
    mutating func finish() throws(Failure) -> Message {
        guard let message, let file, let path else { throw .badMessage("body ended before the message") }
        do {
            try file.synchronize()
            try file.close()
            self.file = nil
            let target = String(path.dropLast(4))
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.moveItem(atPath: path, toPath: target)
        } catch {
            throw .disk("\(error)")
        }
        self.path = nil
        return message
    }

    /// The body will not complete: removes what was written.
    mutating func abandon() {
        try? file?.close()
        file = nil
        if let path { try? FileManager.default.removeItem(atPath: path) }
        path = nil
    }
}
