/// The role a node plays in its current term.
public enum Role: Sendable, CustomStringConvertible {
    case follower
    case candidate
    case leader
    /// Campaigning in the pre-vote round, before raising the term.
    case preCandidate

    public var description: String {
        switch self {
        case .follower: "StateFollower"
        case .candidate: "StateCandidate"
        case .leader: "StateLeader"
        case .preCandidate: "StatePreCandidate"
        }
    }
}

/// State that need not be persisted: who leads and this node's role.
public struct SoftState: Hashable, Sendable, CustomStringConvertible {
    /// The leader's ID, 0 when unknown.
    public var lead: UInt64
    public var role: Role

    public init(lead: UInt64, role: Role) {
        self.lead = lead
        self.role = role
    }

    /// etcd's DescribeSoftState: `Lead:1 State:StateLeader`.
    public var description: String { "Lead:\(lead) State:\(role)" }
}

/// The answer to a read-index request: reads are linearizable once `index` is applied.
public struct ReadState: Hashable, Sendable {
    public var index: UInt64
    /// The request's context, as given to `RawNode.readIndex`.
    public var requestContext: [UInt8]

    public init(index: UInt64, requestContext: [UInt8]) {
        self.index = index
        self.requestContext = requestContext
    }
}
