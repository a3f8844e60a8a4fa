import Wire

/// The membership: voters (joint while changing), learners, and the learners-to-be
/// that are still outgoing voters (etcd's tracker.Config).
public struct TrackerConfig: Hashable, Sendable, CustomStringConvertible {
    public var voters = JointConfig()
    /// Nodes that receive the log but never vote; never also voters.
    public var learners: Set<UInt64> = []
    /// Outgoing voters that become learners when the joint config is left.
    public var learnersNext: Set<UInt64> = []
    /// Leave the joint config by itself once it is applied.
    public var autoLeave = false

    public init() {}

    /// `voters=(1 2 3)&&(1 2) learners=(4) learners_next=(3) autoleave`.
    public var description: String {
        var text = "voters=\(voters)"
        if !learners.isEmpty { text += " learners=\(MajorityConfig(learners))" }
        if !learnersNext.isEmpty { text += " learners_next=\(MajorityConfig(learnersNext))" }
        if autoLeave { text += " autoleave" }
        return text
    }

    /// This configuration as the ConfState that snapshots carry.
    public var confState: ConfState {
        ConfState(voters: voters.incoming.sorted, learners: learners.sorted(),
                  votersOutgoing: voters.outgoing.sorted, learnersNext: learnersNext.sorted(),
                  autoLeave: autoLeave)
    }
}
