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
    /// A joining member's view of the cluster, read from a peer: whom to connect to first.
    var joinedPeers: [ClusterMember] = []

    static func open(_ configuration: ServerConfiguration, kv: KVStateMachine) throws -> MemberStore {
        let memberDirectory = configuration.dataDir + "/member"
        let fs = POSIXFileSystem()
        if fs.exists(memberDirectory + "/wal") {
            return try restart(memberDirectory, kv: kv)
        }
        try FileManager.default.createDirectory(atPath: memberDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        if configuration.initialClusterState == .existing { return try join(configuration, memberDirectory, kv: kv) }
        let memberID = configuration.memberID
        let clusterID = configuration.clusterID
        let storage = try bootstrapLog(configuration, memberDirectory: memberDirectory, voteForFirst: false).storage
        return MemberStore(storage: storage, memberID: memberID, clusterID: clusterID, kv: kv, membership: Membership(),
                           confState: ConfState(), applied: 0, restarted: false)
    }

    /// `--initial-cluster-state existing`: the member list comes from a peer (`GET /members`),
    /// which must hold a member with this member's peer URLs (added by `member add`); its ID
    /// and the cluster's become this member's. Raft starts empty: the leader sends the log,
    /// or a snapshot, from the start.
    private static func join(_ configuration: ServerConfiguration, _ memberDirectory: String, kv: KVStateMachine) throws -> MemberStore {
        let mine = Set(configuration.initialAdvertisePeerURLs)
        let urls = configuration.initialCluster.members.filter { $0.name != configuration.name }.flatMap(\.peerURLs)
        let remote = try RemoteCluster.fetch(from: urls)
        guard let me = remote.members.first(where: { Set($0.peerURLs) == mine }) else {
            throw ServerStartError.notInRemoteCluster(peerURLs: configuration.initialAdvertisePeerURLs.sorted())
        }
        let metadata = Metadata(nodeID: me.id, clusterID: remote.clusterID)
        let storage = try DurableLog(directory: memberDirectory, metadata: metadata.serializedData())
        var store = MemberStore(storage: storage, memberID: me.id, clusterID: remote.clusterID, kv: kv, membership: Membership(),
                                confState: ConfState(), applied: 0, restarted: false)
        store.joinedPeers = remote.members
        return store
    }

    private static func restart(_ memberDirectory: String, kv: KVStateMachine) throws -> MemberStore {
        let storage = try DurableLog(directory: memberDirectory, metadata: nil)
        guard let bytes = storage.metadata, let metadata = try? Metadata(serializedBytes: bytes), metadata.nodeID != 0 else {
            throw ServerStartError.badMetadata(memberDirectory + "/wal")
        }
        let snapshot = try storage.snapshot()
        var membership = Membership()
        if snapshot.metadata.index > 0 {
            membership = try ServerSnapshot.load(raftData: Array(snapshot.data ?? Data()), index: snapshot.metadata.index,
                                                 directory: storage.snapDirectory, into: kv)
        }
        return MemberStore(storage: storage, memberID: metadata.nodeID, clusterID: metadata.clusterID, kv: kv,
                           membership: membership, confState: snapshot.metadata.confState,
                           applied: snapshot.metadata.index, restarted: true)
    }
}

/// Why a member could not start from its data directory.
public enum ServerStartError: Error, CustomStringConvertible {
    case notInRemoteCluster(peerURLs: [String])
    case noRemoteCluster([String])
    case badMetadata(String)
    case listen(url: String, reason: String)

    public var description: String {
        switch self {
        case .notInRemoteCluster(let urls):
            "error validating peerURLs: member with peer URLs \(urls) is not in the cluster's member list (add it first: etcdctl member add <name> --peer-urls=\(urls.joined(separator: ",")))"
        case .noRemoteCluster(let reasons):
            "cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs (\(reasons.joined(separator: "; ")))"
        case .badMetadata(let path): "\(path): the WAL's metadata holds no member ID"
        case let .listen(url, reason): "listen \(url): \(reason)"
        }
    }
}
