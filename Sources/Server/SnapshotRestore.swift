import Foundation
import KV
import Storage
import Wire

/// etcd's `etcdctl snapshot restore` for Ferry: a new member data directory from a snapshot
/// file saved from any member. The file's SHA-256 is checked; then, as etcd's restore writes
/// it, the WAL holds the new cluster's metadata and its members' ConfChangeAddNode entries,
/// committed at term 1 (voting for the first member), and a snapshot at their index holds the
/// new membership with the saved KV state: every key, revision, lease, alarm, user and role.
/// `ferry` started on the directory with the same flags serves it all.
public enum SnapshotRestore {
    /// What a restore wrote.
    public struct Summary: Sendable {
        public var dataDir: String
        public var memberID: UInt64
        public var clusterID: UInt64
        public var members: Int
        public var revision: Int64
        public var snapshotBytes: Int
    }

    /// Restores `file` into the data directory `flags` name (`name`, `data-dir`,
    /// `initial-cluster`, `initial-cluster-token`, `initial-advertise-peer-urls`, with etcd's
    /// defaults and checks); the directory must not exist yet.
    public static func restore(file: String, flags: [String: String]) throws -> Summary {
        let configuration = try ServerConfiguration(flags: flags)
        guard !FileManager.default.fileExists(atPath: configuration.dataDir) else {
            throw RestoreError.dataDirExists(configuration.dataDir)
        }
        guard let contents = FileManager.default.contents(atPath: file) else { throw RestoreError.unreadable(file) }
        let saved = try SnapshotFile.kvSnapshot(file: Array(contents))
        let kv = KVStateMachine()
        try kv.restore(snapshot: saved)

        let memberDirectory = configuration.dataDir + "/member"
        try FileManager.default.createDirectory(atPath: memberDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let (storage, entries) = try MemberStore.bootstrapLog(configuration, memberDirectory: memberDirectory, voteForFirst: true)
        defer { try? storage.close() }
        var membership = Membership()
        for entry in entries { _ = try membership.apply(try ConfChange(serializedBytes: entry.data ?? Data())) }
        let index = UInt64(entries.count)
        let written = try ServerSnapshot.writeKV(kv.snapshotImage(), directory: storage.snapDirectory, index: index)
        try storage.snapshot(at: index, confState: ConfState(voters: membership.sorted.map(\.id)),
                             data: Data(ServerSnapshot.raftData(membership)), keepEntries: MemberLoop.catchUpEntries)
        return Summary(dataDir: configuration.dataDir, memberID: configuration.memberID, clusterID: configuration.clusterID,
                       members: entries.count, revision: kv.revision, snapshotBytes: written)
    }
}

/// Why a snapshot could not be restored.
public enum RestoreError: Error, CustomStringConvertible {
    case dataDirExists(String)
    case unreadable(String)

    public var description: String {
        switch self {
        case .dataDirExists(let path): "data-dir \"\(path)\" exists"
        case .unreadable(let path): "open \(path): cannot read the snapshot file"
        }
    }
}
