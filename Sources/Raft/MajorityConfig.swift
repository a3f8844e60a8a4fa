/// The outcome of a vote so far.
public enum VoteResult: Sendable {
    /// Not decided: enough votes are missing to go either way.
    case pending
    case lost
    case won
}

/// A set of voters deciding by simple majority (etcd's quorum.MajorityConfig).
public struct MajorityConfig: Hashable, Sendable, CustomStringConvertible {
    public private(set) var ids: Set<UInt64>

    public init(_ ids: some Sequence<UInt64> = []) { self.ids = Set(ids) }

    public var isEmpty: Bool { ids.isEmpty }
    public var count: Int { ids.count }
    public func contains(_ id: UInt64) -> Bool { ids.contains(id) }
    mutating func insert(_ id: UInt64) { ids.insert(id) }
    mutating func remove(_ id: UInt64) { ids.remove(id) }

    /// The members in ascending order.
    public var sorted: [UInt64] { ids.sorted() }

    /// `(1 2 3)`.
    public var description: String { "(" + sorted.map(String.init).joined(separator: " ") + ")" }

    /// The highest index acknowledged by a majority, given each member's acknowledged
    /// index (a member without one counts as 0). An empty config commits everything.
    public func committedIndex(_ acked: (UInt64) -> UInt64?) -> UInt64 {
        if ids.isEmpty { return .max }
        // Called on every acknowledgement: sort on the stack, not in a new array.
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: ids.count) { storage in
            var buffer = storage
            for (i, id) in ids.enumerated() { buffer.initializeElement(at: i, to: acked(id) ?? 0) }
            buffer.sort()
            return buffer[ids.count - (ids.count / 2 + 1)]
        }
    }

    /// The result of `votes` (true = granted); members that did not vote are pending.
    /// An empty config wins every vote.
    public func voteResult(_ votes: [UInt64: Bool]) -> VoteResult {
        if ids.isEmpty { return .won }
        var granted = 0, missing = 0
        for id in ids {
            switch votes[id] {
            case true?: granted += 1
            case false?: break
            case nil: missing += 1
            }
        }
        let quorum = ids.count / 2 + 1
        if granted >= quorum { return .won }
        if granted + missing >= quorum { return .pending }
        return .lost
    }
}

/// Two majority configs that must both agree: the incoming one and, while changing
/// membership by joint consensus, the outgoing one (empty otherwise).
public struct JointConfig: Hashable, Sendable, CustomStringConvertible {
    public var incoming: MajorityConfig
    public var outgoing: MajorityConfig

    public init(incoming: MajorityConfig = MajorityConfig(), outgoing: MajorityConfig = MajorityConfig()) {
        self.incoming = incoming
        self.outgoing = outgoing
    }

    public var isJoint: Bool { !outgoing.isEmpty }

    /// Every voter of either half.
    public var ids: Set<UInt64> { incoming.ids.union(outgoing.ids) }

    /// `(1 2 3)&&(1 2)` while joint, else `(1 2 3)`.
    public var description: String {
        outgoing.isEmpty ? incoming.description : incoming.description + "&&" + outgoing.description
    }

    public func committedIndex(_ acked: (UInt64) -> UInt64?) -> UInt64 {
        min(incoming.committedIndex(acked), outgoing.committedIndex(acked))
    }

    public func voteResult(_ votes: [UInt64: Bool]) -> VoteResult {
        let a = incoming.voteResult(votes), b = outgoing.voteResult(votes)
        if a == b { return a }
        if a == .lost || b == .lost { return .lost }
        return .pending
    }
}
