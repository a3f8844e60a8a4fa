/// Why raft refused a step or a proposal. Descriptions are etcd 3.4's error texts.
public enum RaftError: Error, Equatable, CustomStringConvertible {
    /// The proposal was not appended: no leader to forward to, a leader removed from the
    /// configuration, a leadership transfer in progress, or the uncommitted-size limit.
    case proposalDropped
    /// A local message type (MsgHup, MsgBeat, ...) was handed to `RawNode.step`.
    case stepLocalMessage
    /// A response came from a node this one does not track.
    case stepPeerNotFound

    public var description: String {
        switch self {
        case .proposalDropped: "raft proposal dropped"
        case .stepLocalMessage: "raft: cannot step raft local message"
        case .stepPeerNotFound: "raft: cannot step as peer not found"
        }
    }
}

/// Why a `RaftStorage` could not answer. Descriptions are etcd 3.4's error texts.
public enum StorageError: Error, Equatable, CustomStringConvertible {
    /// The index lies below the first index: compacted away.
    case compacted
    /// The index lies beyond the last index.
    case unavailable
    /// A snapshot older than (or as old as) the one already held.
    case snapshotOutOfDate
    /// The snapshot is being made; the leader retries later.
    case snapshotTemporarilyUnavailable

    public var description: String {
        switch self {
        case .compacted: "requested index is unavailable due to compaction"
        case .unavailable: "requested entry at index is unavailable"
        case .snapshotOutOfDate: "requested index is older than the existing snapshot"
        case .snapshotTemporarilyUnavailable: "snapshot is temporarily unavailable"
        }
    }
}

/// Why a configuration change cannot be applied (etcd's confchange errors).
public enum ConfChangeError: Error, Equatable, CustomStringConvertible {
    case alreadyJoint
    case zeroVoterJoint
    case notJoint
    case simpleChangeInJoint
    case removedAllVoters
    case moreThanOneVoterChanged
    case unexpectedChangeType(Int32)

    public var description: String {
        switch self {
        case .alreadyJoint: "config is already joint"
        case .zeroVoterJoint: "can't make a zero-voter config joint"
        case .notJoint: "can't leave a non-joint config"
        case .simpleChangeInJoint: "can't apply simple config change in joint config"
        case .removedAllVoters: "removed all voters"
        case .moreThanOneVoterChanged: "more than one voter changed without entering joint config"
        case .unexpectedChangeType(let type): "unexpected conf type \(type)"
        }
    }
}
