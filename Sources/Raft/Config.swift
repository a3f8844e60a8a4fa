/// How linearizable reads are served.
public enum ReadOnlyOption: Sendable {
    /// Each read index is confirmed by a heartbeat round with a quorum.
    case safe
    /// The leader trusts its lease; needs `checkQuorum` and bounded clock drift.
    case leaseBased
}

/// What a raft node is and how it behaves (etcd's raft.Config).
public struct RaftConfig {
    /// This node's ID; never 0.
    public var id: UInt64
    /// Ticks without hearing from a leader before campaigning; the actual timeout is
    /// drawn from [electionTick, 2 * electionTick) on every reset.
    public var electionTick = 10
    /// Ticks between a leader's heartbeats.
    public var heartbeatTick = 1
    /// The log as persisted; raft reads it, the application writes it.
    public var storage: any RaftStorage
    /// The last applied index, when restarting; committed entries up to it are not
    /// handed out again.
    public var applied: UInt64 = 0
    /// Bytes of entries per append message; `.max` for no limit, 0 for one entry.
    public var maxSizePerMsg: UInt64 = 1024 * 1024
    /// Bytes of committed entries per Ready; 0 means `maxSizePerMsg`.
    public var maxCommittedSizePerReady: UInt64 = 0
    /// Bytes of payload a leader accepts uncommitted before dropping proposals; 0 for
    /// no limit.
    public var maxUncommittedEntriesSize: UInt64 = 0
    /// Appends in flight per follower while replicating.
    public var maxInflightMsgs = 256
    /// A leader steps down when it has not heard from a quorum for an election timeout.
    public var checkQuorum = false
    /// Campaign with a pre-vote round first (Raft thesis 9.6), so a partitioned node
    /// does not disrupt the cluster when it returns.
    public var preVote = false
    public var readOnlyOption = ReadOnlyOption.safe
    /// Followers drop proposals instead of forwarding them to the leader.
    public var disableProposalForwarding = false
    public var logger: any RaftLogger = DiscardLogger()
    /// Draws the randomized election timeouts; seed it for reproducible runs.
    public var random: any RandomNumberGenerator = SystemRandomNumberGenerator()

    public init(id: UInt64, storage: any RaftStorage) {
        self.id = id
        self.storage = storage
    }

    /// Why a configuration cannot run (etcd's Config.validate texts).
    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case zeroID, heartbeatTick, electionTick, maxInflightMsgs, leaseWithoutCheckQuorum

        public var description: String {
            switch self {
            case .zeroID: "cannot use none as id"
            case .heartbeatTick: "heartbeat tick must be greater than 0"
            case .electionTick: "election tick must be greater than heartbeat tick"
            case .maxInflightMsgs: "max inflight messages must be greater than 0"
            case .leaseWithoutCheckQuorum: "CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased"
            }
        }
    }

    func validate() throws(Invalid) {
        if id == 0 { throw .zeroID }
        if heartbeatTick <= 0 { throw .heartbeatTick }
        if electionTick <= heartbeatTick { throw .electionTick }
        if maxInflightMsgs <= 0 { throw .maxInflightMsgs }
        if readOnlyOption == .leaseBased && !checkQuorum { throw .leaseWithoutCheckQuorum }
    }
}
