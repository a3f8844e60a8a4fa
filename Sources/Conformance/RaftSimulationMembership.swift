import Raft
import Wire

extension RaftSimulation {
    /// Has the leader propose a membership change: remove a voter or demote it to
    /// learner, promote a learner, or, through a joint configuration, swap a voter for
    /// a learner; in a joint configuration, propose leaving it. The joint configuration
    /// is left explicitly: etcd 3.4 does not mark its automatic leave as a pending conf
    /// change, so a second leave can be accepted and then fails to apply (its
    /// confchange_v2_add_single_auto script shows the second leave being appended). Most members stay voters, so a healed
    /// cluster can always make progress. A removed node never comes back, as etcd
    /// refuses to re-add a removed member ID: the leader's snapshots from before the
    /// re-add would not include it.
    mutating func changeMembership() {
        guard let i = runningIndices.first(where: { nodes[$0].raft!.status.softState.role == .leader }) else { return }
        let leader = nodes[i].id
        let config = nodes[i].raft!.status.config
        if config.voters.isJoint {
            faults.membershipChanges += 1
            try? nodes[i].raft!.proposeConfChange(ConfChangeV2())
            return
        }
        let voters = config.voters.incoming.sorted
        let nonVoters = nodes.map(\.id).filter { !config.voters.incoming.contains($0) }
        let others = nonVoters.filter { !removed.contains($0) }
        // The leader never removes itself here; it may still be removed by a change an
        // earlier leader proposed, which the server's stop-on-removal covers.
        let removable = voters.filter { $0 != leader }
        let maxOthers = max(1, (nodes.count - 1) / 2)
        let change: ConfChangeV2
        switch random.below(3) {
        case 0 where nonVoters.count < maxOthers && !removable.isEmpty:
            let target = pick(removable, &random)!
            let removes = random.below(4) == 0
            if removes { removed.insert(target) }
            change = ConfChange(type: removes ? .confChangeRemoveNode : .confChangeAddLearnerNode, nodeID: target).asV2
        case 1 where !others.isEmpty && !removable.isEmpty && nonVoters.count <= maxOthers:
            let added = pick(others, &random)!
            let removed = pick(removable, &random)!
            change = ConfChangeV2(transition: .confChangeTransitionJointExplicit, changes: [
                ConfChangeSingle(type: .confChangeAddNode, nodeID: added),
                ConfChangeSingle(type: .confChangeAddLearnerNode, nodeID: removed),
            ])
        default:
            guard let added = pick(others, &random) else { return }
            change = ConfChange(type: .confChangeAddNode, nodeID: added).asV2
        }
        faults.membershipChanges += 1
        if change.changes.count == 1, let single = change.changes.first {
            try? nodes[i].raft!.proposeConfChange(ConfChange(type: single.type, nodeID: single.nodeID))
        } else {
            try? nodes[i].raft!.proposeConfChange(change)
        }
    }
}
