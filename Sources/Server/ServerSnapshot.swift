import Foundation
import KV
import Transport

/// A Ferry member's snapshot, in two files as etcd keeps its own: raft's `.snap` file holds
/// the membership (`ferry-snapshot/2\n` then its JSON; etcd keeps its v2 store there), and
/// `<index>.snap.db` beside it holds the KV state machine, which is what a leader streams to
/// a follower and a restarted member loads.
enum ServerSnapshot {
    static let magic = Array("ferry-snapshot/2\n".utf8)

    /// The data of raft's snapshot.
    static func raftData(_ membership: Membership) -> [UInt8] { magic + Array(membership.json.utf8) }

    static func membership(fromRaftData bytes: [UInt8]) throws(MembershipError) -> Membership {
        guard bytes.count >= magic.count, Array(bytes[..<magic.count]) == magic else {
            throw .malformedSnapshot("not a Ferry snapshot (\(bytes.count) bytes)")
        }
        return try Membership(json: Array(bytes[magic.count...]))
    }

    /// Writes the KV bytes of the snapshot at `index`: a temporary file, synced, then renamed.
    static func writeKV(_ bytes: [UInt8], directory: String, index: UInt64) throws {
        let path = SnapshotFiles.dbPath(directory: directory, index: index)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let file = FileHandle(forWritingAtPath: temporary) else { throw SnapshotDBError(path: temporary, reason: "cannot create") }
        do {
            try file.write(contentsOf: bytes)
            try file.synchronize()
            try file.close()
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw SnapshotDBError(path: path, reason: "\(error)")
        }
    }

    static func readKV(directory: String, index: UInt64) throws -> [UInt8] {
        let path = SnapshotFiles.dbPath(directory: directory, index: index)
        guard let data = FileManager.default.contents(atPath: path) else { throw SnapshotDBError(path: path, reason: "missing or unreadable") }
        return Array(data)
    }

    /// Restores `kv` and gives the membership of the snapshot whose raft data is `raftData`.
    static func load(raftData: [UInt8], index: UInt64, directory: String, into kv: KVStateMachine) throws -> Membership {
        let membership = try membership(fromRaftData: raftData)
        try kv.restore(snapshot: readKV(directory: directory, index: index))
        return membership
    }
}

/// A snapshot's KV file could not be written or read.
struct SnapshotDBError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
}
