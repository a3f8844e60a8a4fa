import Foundation
import KV
import Storage
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

    /// Writes `image` as the KV bytes of the snapshot at `index`, a piece at a time: a
    /// temporary file, synced, then renamed. Returns the bytes written. Any thread.
    @discardableResult
    static func writeKV(_ image: KVSnapshotImage, directory: String, index: UInt64) throws -> Int {
        let files = SnapshotDBFiles(directory: directory)
        var writer: SnapshotDBWriter?
        do throws(DiskError) {
            let file = try files.writer(index: index)
            writer = file
            try image.write { (raw: UnsafeRawBufferPointer) throws(DiskError) in try file.write(raw) }
            return try file.finish()
        } catch {
            writer?.abandon()
            throw SnapshotDBError(path: files.path(index: index), reason: "\(error)")
        }
    }

    static func readKV(directory: String, index: UInt64) throws -> [UInt8] {
        let files = SnapshotDBFiles(directory: directory)
        do throws(DiskError) { return try files.read(index: index) } catch {
            throw SnapshotDBError(path: files.path(index: index), reason: "\(error)")
        }
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
