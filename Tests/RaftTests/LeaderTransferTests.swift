import Foundation
import Raft
import Testing
import Wire

@Suite("Leader transfer")
struct LeaderTransferTests {
    @Test("leadership passes at once to a follower whose log is up to date")
    func toUpToDateFollower() {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster[1].transferLeader(to: 2)
        cluster.stabilize()
        #expect(cluster.leaders == [2])
        #expect(cluster[2].status.hardState.term == 3)
        #expect(cluster[1].status.softState == SoftState(lead: 2, role: .follower))
    }

    @Test("a follower forwards a transfer request to the leader")
    func forwardedByFollower() {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster[3].transferLeader(to: 3)
        cluster.stabilize()
        #expect(cluster.leaders == [3])
    }

    @Test("a lagging transferee is brought up to date first, then told to campaign")
    func toSlowFollower() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.drops = { $0.to == 3 }
        for i in 0..<3 { try cluster[1].propose(Data("e\(i)".utf8)) }
        cluster.stabilize()
        cluster.drops = { _ in false }
        cluster[1].transferLeader(to: 3)
        cluster.stabilize()
        #expect(cluster.leaders == [3])
        #expect(cluster.committedData(3) == ["e0", "e1", "e2"])
    }

    @Test("proposals are dropped while a transfer is in progress")
    func proposalsDroppedDuringTransfer() {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.drops = { $0.to == 3 }
        cluster[1].transferLeader(to: 3)
        cluster.stabilize()
        #expect(cluster[1].status.leadTransferee == 3)
        #expect(throws: RaftError.proposalDropped) { try cluster[1].propose(Data("x".utf8)) }
    }

    @Test("a transfer that does not finish within an election timeout is abandoned and proposals resume")
    func abortedAfterElectionTimeout() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.drops = { $0.to == 3 }
        cluster[1].transferLeader(to: 3)
        cluster.stabilize()
        for _ in 0..<9 { cluster[1].tick() }
        #expect(cluster[1].status.leadTransferee == 3)
        cluster[1].tick()
        #expect(cluster[1].status.leadTransferee == 0)
        try cluster[1].propose(Data("x".utf8))
        cluster.stabilize()
        #expect(cluster.committedData(1) == ["x"])
    }

    @Test("a transfer to the leader itself is ignored")
    func toSelfIgnored() {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster[1].transferLeader(to: 1)
        cluster.stabilize()
        #expect(cluster[1].status.leadTransferee == 0)
        #expect(cluster.leaders == [1])
    }

    @Test("a transfer to a learner is ignored")
    func toLearnerIgnored() {
        var cluster = Cluster(voters: [1, 2], learners: [3])
        cluster.elect(1)
        cluster[1].transferLeader(to: 3)
        cluster.stabilize()
        #expect(cluster[1].status.leadTransferee == 0)
        #expect(cluster.leaders == [1])
    }

    @Test("a transferee's vote requests are granted within a leader lease under check-quorum")
    func transferBypassesLease() {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.checkQuorum = true }
        cluster.elect(1)
        cluster[1].transferLeader(to: 2)
        cluster.stabilize()
        #expect(cluster.leaders == [2])
    }

    @Test("a transferee campaigns without a pre-vote round, even with pre-vote on")
    func transferSkipsPreVote() {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.preVote = true }
        cluster.elect(1)
        cluster.delivered = []
        cluster[1].transferLeader(to: 2)
        cluster.stabilize()
        #expect(cluster.leaders == [2])
        #expect(!cluster.delivered.contains { $0.type == .msgPreVote })
    }
}
