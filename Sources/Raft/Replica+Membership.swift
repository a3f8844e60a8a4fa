import Wire

extension Replica {
    /// Applies a committed conf change: enters or leaves a joint configuration, or
    /// makes a simple change.
    mutating func applyConfChange(_ change: ConfChangeV2) throws(ConfChangeError) -> ConfState {
        let result: ConfChanger.Result
        if change.leavesJoint {
            result = try changer.leaveJoint()
        } else if let autoLeave = change.entersJoint {
            result = try changer.enterJoint(autoLeave: autoLeave, change.changes)
        } else {
            result = try changer.simple(change.changes)
        }
        return switchToConfig(result)
    }

    /// Takes on a new membership and reacts as a leader must: commit what the new
    /// quorum allows, and probe new members at once.
    @discardableResult
    mutating func switchToConfig(_ result: ConfChanger.Result) -> ConfState {
        tracker.config = result.config
        tracker.progress = result.progress
        logger.info("\(hex(id)) switched to configuration \(tracker.config)")
        let state = tracker.config.confState
        let own = tracker.progress[id]
        isLearner = own?.isLearner ?? false
        // A leader removed or demoted keeps leading for now (etcd 3.4 does not step
        // down), but does no more here.
        if (own == nil || isLearner) && role == .leader { return state }
        guard role == .leader, !state.voters.isEmpty else { return state }
        if maybeCommit() {
            broadcastAppend()
        } else {
            for peer in tracker.progress.ids { maybeSendAppend(to: peer, sendIfEmpty: false) }
        }
        if leadTransferee != 0 && tracker.progress[leadTransferee] == nil { leadTransferee = 0 }
        return state
    }
}

extension ConfChange {
    /// This change as the single change of a ConfChangeV2.
    public var asV2: ConfChangeV2 {
        ConfChangeV2(changes: [ConfChangeSingle(type: type, nodeID: nodeID)], context: context)
    }
}

extension ConfChangeV2 {
    /// Whether this is the empty change that leaves a joint configuration.
    public var leavesJoint: Bool { transition == .confChangeTransitionAuto && changes.isEmpty }

    /// Whether this change goes through a joint configuration and, if so, whether that
    /// is left automatically; nil for a simple change.
    public var entersJoint: Bool? {
        guard transition != .confChangeTransitionAuto || changes.count > 1 else { return nil }
        return transition != .confChangeTransitionJointExplicit
    }
}
