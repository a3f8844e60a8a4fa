import Foundation
import KV
import Storage
import Wire

/// A member's data directory (`<data-dir>/member/{wal,snap}`) opened for the node: a new
/// member writes its WAL metadata and raft's bootstrap entries (one ConfChangeAddNode per
/// initial member, committed at term 1, as etcd's StartNode logs them); a restarted member
/// gets back its IDs from the WAL, and its state machine from the newest snapshot, with the
/// entries after it to apply again.
struct MemberStore {
    let storage: DurableLog
    let memberID: UInt64
    let clusterID: UInt64
    let kv: KVStateMachine
    let membership: Membership
    let confState: ConfState
    /// The index the state machine holds once the snapshot is restored.
    let applied: UInt64
    let restarted: Bool

    static func open(_ configuration: ServerConfiguration, kv: KVStateMachine) throws -> MemberStore {
        let memberDirectory = configuration.dataDir + "/member"
        let fs = POSIXFileSystem()
        if fs.exists(memberDirectory + "/wal") {
            return try restart(memberDirectory, kv: kv)
        }
        guard configuration.initialClusterState == .new else {
            throw ServerStartError.joiningUnsupported
        }
        try FileManager.default.createDirectory(atPath: memberDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let memberID = configuration.memberID
        let clusterID = configuration.clusterID
        let metadata = Metadata(nodeID: memberID, clusterID: clusterID)
        let storage = try DurableLog(directory: memberDirectory, metadata: metadata.serializedData())
        let members = configuration.initialCluster.memberIDs(token: configuration.initialClusterToken).sorted { $0.id < $1.id }
        var entries: [Entry] = []
        for (offset, member) in members.enumerated() {
            let context = ClusterMember(id: member.id, name: member.name, peerURLs: member.peerURLs).json
            let change = ConfChange(type: .confChangeAddNode, nodeID: member.id, context: Data(context.utf8))
            entries.append(Entry(term: 1, index: UInt64(offset + 1), type: .entryConfChange, data: change.serializedData()))
        }
        try storage.save(hardState: HardState(term: 1, vote: 0, commit: UInt64(entries.count)), entries: entries, snapshot: nil)
        return MemberStore(storage: storage, memberID: memberID, clusterID: clusterID, kv: kv, membership: Membership(),
                           confState: ConfState(), applied: 0, restarted: false)
    }

    private static func restart(_ memberDirectory: String, kv: KVStateMachine) throws -> MemberStore {
        let storage = try DurableLog(directory: memberDirectory, metadata: nil)
        guard let bytes = storage.metadata, let metadata = try? Metadata(serializedBytes: bytes), metadata.nodeID != 0 else {
            throw ServerStartError.badMetadata(memberDirectory + "/wal")
        }
        let snapshot = try storage.snapshot()
        var membership = Membership()
        if snapshot.metadata.index > 0 {
            let contents = try ServerSnapshot(decoding: Array(snapshot.data ?? Data()))
            try kv.restore(snapshot: contents.kv)
            membership = contents.membership
        }
        return MemberStore(storage: storage, memberID: metadata.nodeID, clusterID: metadata.clusterID, kv: kv,
                           membership: membership, confState: snapshot.metadata.confState,
                           applied: snapshot.metadata.index, restarted: true)
    }
}

/// Why a member could not start from its data directory.
public enum ServerStartError: Error, CustomStringConvertible {
    case joiningUnsupported
    case badMetadata(String)
    case listen(url: String, reason: String)

    public var description: String {
        switch self {
        case .joiningUnsupported:
            "--initial-cluster-state=existing: joining an existing cluster is not supported yet; start every member with --initial-cluster-state=new"
        case .badMetadata(let path): "\(path): the WAL's metadata holds no member ID"
        case let .listen(url, reason): "listen \(url): \(reason)"
        }
    }
}
