import Foundation
import Raft
import Testing
import Wire

/// One test per rule of the Raft paper (etcd's raft_paper_test.go), each named for it.
@Suite("Raft paper rules")
struct PaperTests {
    @Test("servers start up as followers (§5.2)")
    func startAsFollower() {
        let cluster = Cluster(voters: [1, 2, 3])
        for id: UInt64 in [1, 2, 3] { #expect(cluster[id].status.softState == SoftState(lead: 0, role: .follower)) }
    }

    @Test("a server of any role seeing a higher term takes it and becomes follower (§5.1)", arguments: [Raft.Role.follower, .candidate, .leader])
    func higherTermMakesFollower(role: Raft.Role) throws {
        var cluster = Cluster(voters: [1, 2, 3])
        if role == .candidate { try cluster[1].campaign() }
        if role == .leader { cluster.elect(1) }
        #expect(cluster[1].status.softState.role == role)
        try cluster[1].step(message(.msgApp, from: 2, to: 1, term: 10, logTerm: 1, index: 1))
        #expect(cluster[1].status.softState == SoftState(lead: 2, role: .follower))
        #expect(cluster[1].status.hardState.term == 10)
    }

    @Test("a server ignores a request of a stale term (§5.1)")
    func staleTermIgnored() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        #expect(!cluster[2].hasReady)
        try cluster[2].step(message(.msgApp, from: 3, to: 2, term: 1, logTerm: 1, index: 1, entries: [Entry(term: 1, index: 2)]))
        #expect(!cluster[2].hasReady)
        #expect(cluster[2].status.hardState.term == 2)
    }

    @Test("a leader sends heartbeats to every follower each heartbeat timeout (§5.2)")
    func leaderBroadcastsHeartbeats() {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.heartbeatTick = 2 }
        cluster.elect(1)
        cluster[1].tick()
        #expect(!cluster[1].hasReady)
        cluster[1].tick()
        let beats = cluster[1].ready().messages
        #expect(beats.map(\.type) == [.msgHeartbeat, .msgHeartbeat])
        #expect(beats.map(\.to) == [2, 3])
        #expect(beats.allSatisfy { $0.term == 2 && $0.commit == 2 })
    }

    @Test("a follower or candidate whose election timeout passes starts an election: new term, own vote, vote requests (§5.2)")
    func timeoutStartsElection() {
        var cluster = Cluster(voters: [1, 2, 3])
        var ticks = 0
        while cluster[1].status.softState.role == .follower && ticks < 20 {
            cluster[1].tick()
            ticks += 1
        }
        #expect(cluster[1].status.softState.role == .candidate)
        #expect(cluster[1].status.hardState.term == 2)
        #expect(cluster[1].status.hardState.vote == 1)
        let requests = cluster[1].ready().messages
        #expect(requests.map(\.type) == [.msgVote, .msgVote])
        // A candidate that neither wins nor loses tries again in a new term.
        ticks = 0
        while cluster[1].status.hardState.term == 2 && ticks < 20 {
            cluster[1].tick()
            ticks += 1
        }
        #expect(cluster[1].status.softState.role == .candidate)
        #expect(cluster[1].status.hardState.term == 3)
    }

    @Test("a candidate wins with votes from a majority, loses on rejections from a majority, else waits (§5.2)",
          arguments: [
              (1, [UInt64: Bool](), Raft.Role.leader), (3, [2: true, 3: true], .leader), (3, [2: true], .leader),
              (5, [2: true, 3: true, 4: true, 5: true], .leader), (5, [2: true, 3: true], .leader),
              (3, [2: false, 3: false], .follower), (5, [2: false, 3: false, 4: false, 5: false], .follower),
              (5, [2: true, 3: false, 4: false, 5: false], .follower),
              (3, [:], .candidate), (5, [2: true], .candidate), (5, [2: false, 3: false], .candidate),
              (5, [2: true, 3: false, 4: false], .candidate),
          ])
    func electionOutcome(size: Int, votes: [UInt64: Bool], outcome: Raft.Role) throws {
        var cluster = Cluster(voters: Array(1...UInt64(size)))
        try cluster[1].campaign()
        for (from, granted) in votes.sorted(by: { $0.key < $1.key }) {
            var answer = message(.msgVoteResp, from: from, to: 1, term: 2)
            answer.reject = !granted
            try cluster[1].step(answer)
        }
        #expect(cluster[1].status.softState.role == outcome)
        #expect(cluster[1].status.hardState.term == 2)
    }

    @Test("a voter grants a candidate whose log is at least as up to date as its own, and only such a one (§5.4.1)",
          arguments: [(UInt64(2), UInt64(3), true), (2, 4, true), (3, 1, true), (2, 2, false), (1, 5, false)])
    func electionRestriction(logTerm: UInt64, index: UInt64, granted: Bool) throws {
        var (node, storage) = try standaloneNode(1, voters: [1, 2], terms: [1, 2], term: 2)
        try node.step(message(.msgVote, from: 2, to: 1, term: 3, logTerm: logTerm, index: index))
        let answer = node.drainMessages(into: storage)
        #expect(answer.map(\.type) == [.msgVoteResp])
        #expect(answer.first?.reject == !granted)
    }

    @Test("a leader appends a proposal to its log and sends it to every follower (§5.3)")
    func leaderReplicatesProposal() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster[1].propose(Data("x".utf8))
        let ready = cluster[1].ready()
        #expect(ready.entries.map { [$0.index, $0.term] } == [[3, 2]])
        #expect(ready.messages.map(\.to) == [2, 3])
        #expect(ready.messages.allSatisfy { $0.type == .msgApp && $0.index == 2 && $0.logTerm == 2 && $0.commit == 2 && $0.entries.map(\.index) == [3] })
    }

    @Test("a leader commits an entry once a majority has replicated it, and not before (§5.3)")
    func leaderCommitsOnMajority() throws {
        var cluster = Cluster(voters: [1, 2, 3, 4, 5])
        cluster.elect(1)
        cluster.drops = { $0.to >= 3 }
        try cluster[1].propose(Data("x".utf8))
        cluster.stabilize()
        #expect(cluster[1].status.hardState.commit == 2)
        cluster.drops = { $0.to >= 4 }
        cluster.tickAll()
        #expect(cluster[1].status.hardState.commit == 3)
        #expect(cluster.committedData(1) == ["x"])
    }

    @Test("a follower commits what the leader's commit index covers, and applies it in order (§5.3)")
    func followerCommitsWithLeader() throws {
        var (node, storage) = try standaloneNode(2, voters: [1, 2], term: 2)
        let entries = [Entry(term: 2, index: 2, data: Data("a".utf8)), Entry(term: 2, index: 3, data: Data("b".utf8))]
        try node.step(message(.msgApp, from: 1, to: 2, term: 2, logTerm: 1, index: 1, entries: entries, commit: 2))
        let ready = node.ready()
        storage.append(ready.entries)
        #expect(ready.hardState?.commit == 2)
        #expect(ready.committedEntries.map(\.index) == [2])
    }

    @Test("a follower refuses an append whose previous entry it lacks, hinting its last index (§5.3)",
          arguments: [(UInt64(1), UInt64(1), false), (1, 2, false), (2, 3, false), (1, 3, true), (3, 4, true)])
    func followerConsistencyCheck(logTerm: UInt64, index: UInt64, rejected: Bool) throws {
        var (node, storage) = try standaloneNode(2, voters: [1, 2], terms: [1, 2], term: 2)
        try node.step(message(.msgApp, from: 1, to: 2, term: 2, logTerm: logTerm, index: index))
        let answer = node.drainMessages(into: storage)
        #expect(answer.map(\.type) == [.msgAppResp])
        #expect(answer.first?.reject == rejected)
        #expect(answer.first?.index == index)
        if rejected { #expect(answer.first?.rejectHint == 3) }
    }

    @Test("a follower deletes a conflicting entry and all that follow it, then appends the leader's (§5.3)")
    func followerReplacesConflicts() throws {
        var (node, storage) = try standaloneNode(2, voters: [1, 2], terms: [1, 2], term: 3)
        let entries = [Entry(term: 3, index: 3), Entry(term: 3, index: 4)]
        try node.step(message(.msgApp, from: 1, to: 2, term: 3, logTerm: 1, index: 2, entries: entries))
        let answer = node.drainMessages(into: storage)
        #expect(answer.first?.index == 4)
        #expect(storage.lastIndex == 4)
        #expect(try storage.term(at: 2) == 1)
        #expect(try storage.term(at: 3) == 3)
    }

    @Test("a leader commits entries of earlier terms only by committing one of its own term (§5.4.2)")
    func leaderCommitsOnlyCurrentTermByCount() throws {
        var (node, storage) = try standaloneNode(1, voters: [1, 2, 3], terms: [1, 2], term: 2)
        try node.campaign()
        try node.step(message(.msgVoteResp, from: 2, to: 1, term: 3))
        #expect(node.status.softState.role == .leader)
        _ = node.drainMessages(into: storage)
        try node.step(message(.msgAppResp, from: 2, to: 1, term: 3, index: 3))
        #expect(node.status.hardState.commit == 1)
        try node.step(message(.msgAppResp, from: 2, to: 1, term: 3, index: 4))
        #expect(node.status.hardState.commit == 4)
    }
}
