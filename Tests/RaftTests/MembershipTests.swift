import Foundation
import Raft
import Testing
import Wire

@Suite("Membership changes")
struct MembershipTests {
    @Test("a v1 conf change adds a voter that then receives the log")
    func v1AddsVoter() throws {
        var cluster = Cluster(voters: [1, 2])
        cluster.elect(1)
        try cluster[1].propose(Data("before".utf8))
        // A new member starts from the membership it joins.
        cluster.add(3, voters: [1, 2, 3])
        try cluster[1].proposeConfChange(ConfChange(type: .confChangeAddNode, nodeID: 3))
        cluster.stabilize()
        #expect(cluster[1].status.config.voters.incoming.sorted == [1, 2, 3])
        #expect(cluster.committedData(3) == ["before"])
    }

    @Test("an auto transition with several changes goes through a joint config and leaves it by itself")
    func autoJointLeavesItself() throws {
        var cluster = Cluster(voters: [1])
        cluster.elect(1)
        cluster.add(2, voters: [1, 2, 3])
        cluster.add(3, voters: [1, 2, 3])
        try cluster[1].proposeConfChange(ConfChangeV2(changes: [
            ConfChangeSingle(type: .confChangeAddNode, nodeID: 2), ConfChangeSingle(type: .confChangeAddNode, nodeID: 3),
        ]))
        cluster.stabilize()
        let kinds = cluster.applied[1]!.filter { $0.type == .entryConfChangeV2 }.count
        #expect(kinds == 2, "the change and the automatic leave")
        for id: UInt64 in [1, 2, 3] {
            #expect(cluster[id].status.config.voters == JointConfig(incoming: MajorityConfig([1, 2, 3])))
            #expect(!cluster[id].status.config.autoLeave)
        }
    }

    @Test("an explicit joint transition stays joint until the empty change is proposed")
    func explicitJointWaits() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster[1].proposeConfChange(ConfChangeV2(transition: .confChangeTransitionJointExplicit,
                                                      changes: [ConfChangeSingle(type: .confChangeRemoveNode, nodeID: 3)]))
        cluster.stabilize()
        #expect(cluster[1].status.config.voters == JointConfig(incoming: MajorityConfig([1, 2]), outgoing: MajorityConfig([1, 2, 3])))
        try cluster[1].proposeConfChange(ConfChangeV2())
        cluster.stabilize()
        #expect(cluster[1].status.config.voters == JointConfig(incoming: MajorityConfig([1, 2])))
        #expect(cluster[1].status.progress![3] == nil)
    }

    @Test("while joint, a commit needs a majority of both the incoming and the outgoing voters")
    func jointCommitNeedsBoth() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.add(4, voters: [1, 4, 5])
        cluster.add(5, voters: [1, 4, 5])
        try cluster[1].proposeConfChange(ConfChangeV2(transition: .confChangeTransitionJointExplicit, changes: [
            ConfChangeSingle(type: .confChangeRemoveNode, nodeID: 2), ConfChangeSingle(type: .confChangeRemoveNode, nodeID: 3),
            ConfChangeSingle(type: .confChangeAddNode, nodeID: 4), ConfChangeSingle(type: .confChangeAddNode, nodeID: 5),
        ]))
        cluster.stabilize()
        // Incoming (1 4 5) has a majority with 4, outgoing (1 2 3) needs 2 or 3.
        cluster.drops = { [2, 3].contains($0.to) || [2, 3].contains($0.from) }
        let before = cluster[1].status.hardState.commit
        try cluster[1].propose(Data("joint".utf8))
        cluster.stabilize()
        #expect(cluster[1].status.hardState.commit == before)
        cluster.drops = { $0.to == 3 || $0.from == 3 }
        cluster[1].tick()
        cluster.stabilize()
        #expect(cluster[1].status.hardState.commit == before + 1)
    }

    @Test("a second conf change is refused while one is pending, replaced by an empty entry")
    func onePendingConfChange() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster[1].proposeConfChange(ConfChange(type: .confChangeAddLearnerNode, nodeID: 4))
        try cluster[1].proposeConfChange(ConfChange(type: .confChangeAddLearnerNode, nodeID: 5))
        let entries = cluster[1].ready().entries
        #expect(entries.map(\.type) == [.entryConfChange, .entryNormal])
        #expect(entries[1].data == nil)
    }

    @Test("a conf change that does not fit the current config is refused with its reason")
    func invalidChangesRefused() throws {
        var cluster = Cluster(voters: [1])
        #expect(throws: ConfChangeError.notJoint) { _ = try cluster[1].applyConfChange(ConfChangeV2()) }
        #expect(throws: ConfChangeError.removedAllVoters) {
            _ = try cluster[1].applyConfChange(ConfChange(type: .confChangeRemoveNode, nodeID: 1))
        }
        let joint = ConfChangeV2(transition: .confChangeTransitionJointExplicit,
                                 changes: [ConfChangeSingle(type: .confChangeAddNode, nodeID: 2)])
        _ = try cluster[1].applyConfChange(joint)
        #expect(throws: ConfChangeError.alreadyJoint) { _ = try cluster[1].applyConfChange(joint) }
        #expect(throws: ConfChangeError.simpleChangeInJoint) {
            _ = try cluster[1].applyConfChange(ConfChange(type: .confChangeAddNode, nodeID: 3))
        }
        #expect(cluster[1].status.config.voters == JointConfig(incoming: MajorityConfig([1, 2]), outgoing: MajorityConfig([1])))
    }

    @Test("a learner receives the log, never votes in the quorum, and can be promoted")
    func learnerPromotion() throws {
        var cluster = Cluster(voters: [1, 2], learners: [3])
        cluster.elect(1)
        try cluster[1].propose(Data("to-learner".utf8))
        cluster.stabilize()
        #expect(cluster.committedData(3) == ["to-learner"])
        #expect(cluster[1].status.progress![3]!.isLearner)
        // Without 2, the learner does not make a quorum.
        cluster.drops = { $0.to == 2 }
        try cluster[1].propose(Data("needs-2".utf8))
        cluster.stabilize()
        #expect(cluster.committedData(1) == ["to-learner"])
        cluster.drops = { _ in false }
        try cluster[1].proposeConfChange(ConfChange(type: .confChangeAddNode, nodeID: 3))
        cluster[1].tick()
        cluster.stabilize()
        #expect(cluster[1].status.config.voters.incoming.sorted == [1, 2, 3])
        #expect(cluster[1].status.config.learners.isEmpty)
    }

    @Test("a removed leader no longer counts towards the commit quorum and drops proposals")
    func removedLeader() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster[1].proposeConfChange(ConfChange(type: .confChangeRemoveNode, nodeID: 1))
        cluster.stabilize()
        #expect(cluster[1].status.config.voters.incoming.sorted == [2, 3])
        #expect(throws: RaftError.proposalDropped) { try cluster[1].propose(Data("x".utf8)) }
    }
}
