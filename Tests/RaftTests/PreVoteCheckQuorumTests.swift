import Foundation
import Raft
import Testing
import Wire

@Suite("Pre-vote and check-quorum")
struct PreVoteCheckQuorumTests {
    @Test("with pre-vote, a node back from a partition with a stale log neither raises its term nor disrupts the leader")
    func preVoteRejoinDoesNotDisrupt() throws {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.preVote = true }
        cluster.elect(1)
        cluster.drops = { $0.from == 3 || $0.to == 3 }
        try cluster[1].propose(Data("x".utf8))
        cluster.stabilize()
        for _ in 0..<40 {
            cluster[3].tick()
            cluster.stabilize()
        }
        #expect(cluster[3].status.hardState.term == 2)
        cluster.drops = { _ in false }
        cluster.tickAll(30)
        #expect(cluster.leaders == [1])
        #expect(cluster[1].status.hardState.term == 2)
        #expect(cluster[3].status.softState == SoftState(lead: 1, role: .follower))
        #expect(cluster.committedData(3) == ["x"])
    }

    @Test("without pre-vote, a partitioned node raises its term at every election timeout")
    func noPreVoteInflatesTerm() {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.drops = { $0.from == 3 || $0.to == 3 }
        for _ in 0..<40 {
            cluster[3].tick()
            cluster.stabilize()
        }
        #expect(cluster[3].status.hardState.term > 2)
    }

    @Test("a pre-vote is granted in the requested future term without changing the voter's term")
    func preVoteAnswerCarriesRequestedTerm() throws {
        var (node, storage) = try standaloneNode(2, voters: [1, 2, 3], term: 2) { $0.preVote = true }
        try node.step(message(.msgPreVote, from: 3, to: 2, term: 3, logTerm: 1, index: 1))
        let answer = node.drainMessages(into: storage)
        #expect(answer.map(\.type) == [.msgPreVoteResp])
        #expect(answer.first?.term == 3)
        #expect(answer.first?.reject == false)
        #expect(node.status.hardState.term == 2)
        #expect(node.status.hardState.vote == 0)
    }

    @Test("a pre-vote from a stale term is rejected with the voter's term, so the pre-candidate can catch up")
    func stalePreVoteRejectedWithTerm() throws {
        var (node, storage) = try standaloneNode(2, voters: [1, 2, 3], term: 5) { $0.preVote = true }
        try node.step(message(.msgPreVote, from: 3, to: 2, term: 3, logTerm: 1, index: 1))
        let answer = node.drainMessages(into: storage)
        #expect(answer.map(\.type) == [.msgPreVoteResp])
        #expect(answer.first?.term == 5)
        #expect(answer.first?.reject == true)
    }

    @Test("with check-quorum, a leader that hears from a quorum keeps leading")
    func checkQuorumKeepsActiveLeader() {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.checkQuorum = true }
        cluster.elect(1)
        cluster.drops = { $0.to == 3 }
        cluster.tickAll(50)
        #expect(cluster.leaders == [1])
        #expect(cluster[1].status.hardState.term == 2)
    }

    @Test("with check-quorum, a follower that heard from its leader within the election timeout ignores vote requests (leader lease)")
    func leaseIgnoresVoteRequests() throws {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.checkQuorum = true }
        cluster.elect(1)
        try cluster[2].step(message(.msgVote, from: 3, to: 2, term: 3, logTerm: 2, index: 2))
        #expect(!cluster[2].hasReady)
        #expect(cluster[2].status.hardState.term == 2)
        #expect(cluster[2].status.softState.lead == 1)
    }

    @Test("with check-quorum, a follower that knows no leader votes for a candidate of a higher term")
    func noLeaderNoLease() throws {
        var (node, storage) = try standaloneNode(2, voters: [1, 2, 3], term: 2) { $0.checkQuorum = true }
        try node.step(message(.msgVote, from: 3, to: 2, term: 3, logTerm: 1, index: 1))
        let answer = node.drainMessages(into: storage)
        #expect(answer.map(\.type) == [.msgVoteResp])
        #expect(answer.first?.reject == false)
        #expect(node.status.hardState == HardState(term: 3, vote: 3, commit: 1))
    }

    @Test("with check-quorum, a stuck candidate of a higher term frees itself by answering the leader's heartbeat with its term")
    func stuckCandidateFreed() {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.checkQuorum = true }
        cluster.elect(1)
        cluster.drops = { $0.from == 3 || $0.to == 3 }
        for _ in 0..<40 {
            cluster[3].tick()
            cluster.stabilize()
        }
        let stuckTerm = cluster[3].status.hardState.term
        #expect(stuckTerm > 2)
        #expect(cluster[3].status.softState.role == .candidate)
        cluster.drops = { _ in false }
        cluster[1].tick()
        cluster.stabilize()
        // The leader learned the higher term and stepped down.
        #expect(cluster[1].status.softState.role == .follower)
        #expect(cluster[1].status.hardState.term == stuckTerm)
        cluster.tickAll(40)
        #expect(cluster.leaders.count == 1)
    }
}
