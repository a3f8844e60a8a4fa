import Foundation
import Raft
import Testing
import Wire

@Suite("Leader election")
struct ElectionTests {
    @Test("a candidate persists its vote in the same Ready that sends its vote requests")
    func votePersistedBeforeSent() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        try cluster[1].campaign()
        let ready = cluster[1].ready()
        #expect(ready.hardState == HardState(term: 2, vote: 1, commit: 1))
        #expect(ready.mustSync)
        #expect(ready.messages.map(\.type) == [.msgVote, .msgVote])
        #expect(ready.messages.map(\.to) == [2, 3])
        #expect(ready.messages.allSatisfy { $0.term == 2 && $0.logTerm == 1 && $0.index == 1 })
    }

    @Test("a candidate with a majority of votes becomes leader and appends an empty entry")
    func majorityElects() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        #expect(cluster.leaders == [1])
        #expect(cluster[2].status.softState.lead == 1)
        #expect(cluster.storages[2]!.lastIndex == 2)
        #expect(try cluster.storages[2]!.term(at: 2) == 2)
    }

    @Test("a candidate steps down on a valid leader's message of its term")
    func candidateStepsDown() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        try cluster[1].campaign()
        #expect(cluster[1].status.softState.role == .candidate)
        try cluster[1].step(message(.msgApp, from: 2, to: 1, term: 2, logTerm: 1, index: 1))
        #expect(cluster[1].status.softState == SoftState(lead: 2, role: .follower))
        #expect(cluster[1].status.hardState.term == 2)
    }

    @Test("a candidate rejected by a majority goes back to following")
    func candidateLoses() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        try cluster[1].campaign()
        for from: UInt64 in [2, 3] {
            var rejection = message(.msgVoteResp, from: from, to: 1, term: 2)
            rejection.reject = true
            try cluster[1].step(rejection)
        }
        #expect(cluster[1].status.softState == SoftState(lead: 0, role: .follower))
        #expect(cluster[1].status.hardState.term == 2)
    }

    @Test("a voter refuses a candidate whose log is less up to date than its own")
    func electionRestriction() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster[1].propose(Data("x".utf8))
        cluster.stabilize()
        // Node 3 campaigns with the log as of term 1 only.
        try cluster[3].step(message(.msgVote, from: 2, to: 3, term: 5, logTerm: 1, index: 1))
        let answer = cluster[3].ready().messages.last!
        #expect(answer.type == .msgVoteResp)
        #expect(answer.reject)
    }

    @Test("a node votes for at most one candidate per term")
    func oneVotePerTerm() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        try cluster[3].step(message(.msgVote, from: 1, to: 3, term: 2, logTerm: 1, index: 1))
        try cluster[3].step(message(.msgVote, from: 2, to: 3, term: 2, logTerm: 1, index: 1))
        let answers = cluster[3].ready().messages
        #expect(answers.map(\.to) == [1, 2])
        #expect(answers.map(\.reject) == [false, true])
        #expect(cluster[3].status.hardState.vote == 1)
    }

    @Test("a follower campaigns once its randomized timeout in [electionTick, 2 * electionTick) passes")
    func randomizedTimeout() {
        var cluster = Cluster(voters: [1, 2, 3])
        var ticks = 0
        while cluster[1].status.softState.role == .follower {
            cluster[1].tick()
            ticks += 1
        }
        #expect(ticks >= 10 && ticks < 20)
    }

    @Test("the injected generator decides the election timeouts: the same seed the same ticks, other seeds others")
    func reproducibleTimeouts() {
        func ticksToCampaign(seed: UInt64) -> Int {
            var cluster = Cluster(voters: [1, 2, 3]) { $0.random = SplitMix64(seed: seed) }
            var ticks = 0
            while cluster[2].status.softState.role == .follower {
                cluster[2].tick()
                ticks += 1
            }
            return ticks
        }
        let seeds: [UInt64] = Array(1...20)
        let ticks = seeds.map { ticksToCampaign(seed: $0) }
        #expect(ticks == seeds.map { ticksToCampaign(seed: $0) })
        #expect(ticks.allSatisfy { $0 >= 10 && $0 < 20 }, "\(ticks)")
        #expect(Set(ticks).count > 1, "every seed gave \(ticks[0]) ticks")
    }

    @Test("a split vote elects no one and a later round, by ticks, elects exactly one leader")
    func splitVoteResolved() throws {
        var cluster = Cluster(voters: [1, 2, 3, 4])
        // 1 and 3 campaign at once; 2 hears only 1 and 4 only 3: two votes each.
        cluster.drops = { ($0.from == 1 && $0.to == 4) || ($0.from == 3 && $0.to == 2) }
        try cluster[1].campaign()
        try cluster[3].campaign()
        cluster.stabilize()
        #expect(cluster.leaders.isEmpty)
        #expect(cluster[1].status.softState.role == .candidate)
        cluster.drops = { _ in false }
        var rounds = 0
        while cluster.leaders.isEmpty && rounds < 100 {
            cluster.tickAll()
            rounds += 1
        }
        #expect(cluster.leaders.count == 1)
        #expect(cluster[cluster.leaders[0]].status.hardState.term > 2)
    }

    @Test("a learner never campaigns, and does once promoted to voter")
    func learnersDoNotCampaign() throws {
        var cluster = Cluster(voters: [1, 2], learners: [3])
        try cluster[3].campaign()
        #expect(cluster[3].status.softState.role == .follower)
        #expect(!cluster[3].hasReady)
        cluster.elect(1)
        try cluster[1].proposeConfChange(ConfChange(type: .confChangeAddNode, nodeID: 3))
        cluster.stabilize()
        #expect(cluster[3].status.config.voters.incoming.contains(3))
        try cluster[3].campaign()
        #expect(cluster[3].status.softState.role == .candidate)
    }

    @Test("a message of a higher term makes the node follow at that term")
    func higherTermFollows() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster[1].step(message(.msgHeartbeat, from: 2, to: 1, term: 9))
        #expect(cluster[1].status.softState == SoftState(lead: 2, role: .follower))
        #expect(cluster[1].status.hardState.term == 9)
    }

    @Test("with pre-vote, a partitioned node does not raise its term")
    func preVoteKeepsTerm() {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.preVote = true }
        cluster.elect(1)
        cluster.drops = { $0.from == 3 || $0.to == 3 }
        for _ in 0..<50 {
            cluster[3].tick()
            cluster.stabilize()
        }
        #expect(cluster[3].status.hardState.term == 2)
        #expect(cluster[3].status.softState.role == .preCandidate)
    }

    @Test("with check-quorum, a leader cut off from a quorum steps down")
    func checkQuorumStepsDown() {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.checkQuorum = true }
        cluster.elect(1)
        cluster.drops = { $0.from == 1 || $0.to == 1 }
        for _ in 0..<25 {
            cluster[1].tick()
            cluster.stabilize()
        }
        #expect(cluster[1].status.softState.role == .follower)
    }
}
