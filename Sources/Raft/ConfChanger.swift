import Wire

/// Computes a new membership and progress map from the current ones and a change
/// (etcd's confchange.Changer). Nothing is modified: the caller switches to the result.
struct ConfChanger {
    var config: TrackerConfig
    var progress: ProgressMap
    let maxInflight: Int
    /// The leader's last index; new members are probed from there.
    let lastIndex: UInt64

    typealias Result = (config: TrackerConfig, progress: ProgressMap)

    /// Enters a joint configuration: the current voters become the outgoing half and
    /// `changes` make the incoming one.
    func enterJoint(autoLeave: Bool, _ changes: [ConfChangeSingle]) throws(ConfChangeError) -> Result {
        if config.voters.isJoint { throw .alreadyJoint }
        if config.voters.incoming.isEmpty { throw .zeroVoterJoint }
        var next = self
        next.config.voters.outgoing = config.voters.incoming
        try next.apply(changes)
        next.config.autoLeave = autoLeave
        return (next.config, next.progress)
    }

    /// Leaves the joint configuration: the outgoing half goes, learners-to-be become
    /// learners, and nodes in neither role are dropped.
    func leaveJoint() throws(ConfChangeError) -> Result {
        if !config.voters.isJoint { throw .notJoint }
        var next = self
        for id in config.learnersNext {
            next.config.learners.insert(id)
            next.progress[id]?.isLearner = true
        }
        next.config.learnersNext = []
        for id in config.voters.outgoing.ids
        where !next.config.voters.incoming.contains(id) && !next.config.learners.contains(id) {
            next.progress.remove(id)
        }
        next.config.voters.outgoing = MajorityConfig()
        next.config.autoLeave = false
        return (next.config, next.progress)
    }

    /// Applies changes that alter the voters by at most one, without a joint phase.
    func simple(_ changes: [ConfChangeSingle]) throws(ConfChangeError) -> Result {
        if config.voters.isJoint { throw .simpleChangeInJoint }
        var next = self
        try next.apply(changes)
        if config.voters.incoming.ids.symmetricDifference(next.config.voters.incoming.ids).count > 1 {
            throw .moreThanOneVoterChanged
        }
        return (next.config, next.progress)
    }

    private mutating func apply(_ changes: [ConfChangeSingle]) throws(ConfChangeError) {
        for change in changes where change.nodeID != 0 {
            switch change.type {
            case .confChangeAddNode: makeVoter(change.nodeID)
            case .confChangeAddLearnerNode: makeLearner(change.nodeID)
            case .confChangeRemoveNode: remove(change.nodeID)
            case .confChangeUpdateNode: break
            default: throw .unexpectedChangeType(change.type.rawValue)
            }
        }
        if config.voters.incoming.isEmpty { throw .removedAllVoters }
    }

    private mutating func makeVoter(_ id: UInt64) {
        guard progress[id] != nil else { return addProgress(id, isLearner: false) }
        progress[id]!.isLearner = false
        config.learners.remove(id)
        config.learnersNext.remove(id)
        config.voters.incoming.insert(id)
    }

    private mutating func makeLearner(_ id: UInt64) {
        guard let current = progress[id] else { return addProgress(id, isLearner: true) }
        if current.isLearner { return }
        // Demote: drop the voter, keeping its progress.
        remove(id)
        progress.insert(current, for: id)
        if config.voters.outgoing.contains(id) {
            // Still an outgoing voter: it becomes a learner when the joint config is left.
            config.learnersNext.insert(id)
        } else {
            progress[id]!.isLearner = true
            config.learners.insert(id)
        }
    }

    private mutating func remove(_ id: UInt64) {
        guard progress[id] != nil else { return }
        config.voters.incoming.remove(id)
        config.learners.remove(id)
        config.learnersNext.remove(id)
        // An outgoing voter keeps its progress until the joint config is left.
        if !config.voters.outgoing.contains(id) { progress.remove(id) }
    }

    private mutating func addProgress(_ id: UInt64, isLearner: Bool) {
        if isLearner { config.learners.insert(id) } else { config.voters.incoming.insert(id) }
        // New members count as active so that a quorum check does not immediately
        // step the leader down; they are probed from the leader's last index.
        progress.insert(Progress(match: 0, next: lastIndex, maxInflight: maxInflight,
                                 isLearner: isLearner, recentActive: true), for: id)
    }

    /// The configuration described by `state`, built as a series of changes from an
    /// empty one: the outgoing voters one by one, then the joint step into the rest.
    func restore(_ state: ConfState) throws(ConfChangeError) -> Result {
        func add(_ type: ConfChangeType, _ ids: [UInt64]) -> [ConfChangeSingle] {
            ids.map { ConfChangeSingle(type: type, nodeID: $0) }
        }
        // Entering the joint config copies the outgoing voters into the incoming half,
        // so they are removed there first.
        let incoming = add(.confChangeRemoveNode, state.votersOutgoing) + add(.confChangeAddNode, state.voters) + add(.confChangeAddLearnerNode, state.learners)
            + add(.confChangeAddLearnerNode, state.learnersNext)
        var changer = self
        func step(_ result: Result) {
            changer.config = result.config
            changer.progress = result.progress
        }
        if state.votersOutgoing.isEmpty {
            for change in incoming { step(try changer.simple([change])) }
        } else {
            for change in add(.confChangeAddNode, state.votersOutgoing) { step(try changer.simple([change])) }
            step(try changer.enterJoint(autoLeave: state.autoLeave, incoming))
        }
        return (changer.config, changer.progress)
    }
}
