import Foundation
import Raft
import Testing
import Wire

@Suite("Log replication")
struct ReplicationTests {
    @Test("a proposal on the leader commits on every node once a quorum has it")
    func proposalCommits() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster[1].propose(Data("a".utf8))
        cluster.stabilize()
        for id: UInt64 in [1, 2, 3] { #expect(cluster.committedData(id) == ["a"]) }
    }

    @Test("a follower forwards proposals to the leader")
    func followerForwards() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster[2].propose(Data("via-2".utf8))
        let forwarded = cluster[2].ready().messages
        #expect(forwarded.map(\.type) == [.msgProp])
        #expect(forwarded.map(\.to) == [1])
        cluster.queue.append(contentsOf: forwarded)
        cluster.stabilize()
        #expect(cluster.committedData(3) == ["via-2"])
    }

    @Test("proposals are dropped when there is no leader")
    func noLeaderDrops() {
        var cluster = Cluster(voters: [1, 2, 3])
        #expect(throws: RaftError.proposalDropped) { try cluster[1].propose(Data("x".utf8)) }
        try? cluster[1].campaign()
        #expect(throws: RaftError.proposalDropped) { try cluster[1].propose(Data("x".utf8)) }
    }

    @Test("without a quorum nothing commits")
    func noQuorumNoCommit() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.drops = { $0.to == 2 || $0.to == 3 }
        try cluster[1].propose(Data("lost".utf8))
        cluster.stabilize()
        #expect(cluster.committedData(1).isEmpty)
        #expect(cluster[1].status.hardState.commit == 2)
    }

    @Test("a follower rejects an append that does not match its log, hinting its last index")
    func rejectHintsLastIndex() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        try cluster[2].step(message(.msgApp, from: 1, to: 2, term: 2, logTerm: 2, index: 7))
        let answer = cluster[2].ready().messages.last!
        #expect(answer.type == .msgAppResp)
        #expect(answer.reject)
        #expect(answer.index == 7)
        #expect(answer.rejectHint == 1)
    }

    @Test("a follower replaces a conflicting suffix with the leader's entries")
    func conflictingSuffixReplaced() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        let stale = [Entry(term: 2, index: 2, data: Data("old".utf8)), Entry(term: 2, index: 3, data: Data("old".utf8))]
        try cluster[2].step(message(.msgApp, from: 1, to: 2, term: 2, logTerm: 1, index: 1, entries: stale))
        cluster.handleReady(2)
        let fresh = [Entry(term: 3, index: 2, data: Data("new".utf8))]
        try cluster[2].step(message(.msgApp, from: 3, to: 2, term: 3, logTerm: 1, index: 1, entries: fresh, commit: 2))
        cluster.handleReady(2)
        let storage = cluster.storages[2]!
        #expect(storage.lastIndex == 2)
        #expect(try storage.term(at: 2) == 3)
        #expect(cluster.committedData(2) == ["new"])
    }

    @Test("a probing leader retries below the rejected index, at most at the hint + 1")
    func probingBacksOffToHint() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.drops = { $0.to == 3 }
        for i in 0..<5 { try cluster[1].propose(Data("e\(i)".utf8)) }
        cluster.stabilize()
        cluster.drops = { _ in false }
        // A new leader probes 3 from its last index + 1 = 8; 3 has only up to 2.
        cluster.delivered = []
        cluster.elect(2)
        let probes = cluster.delivered.filter { $0.type == .msgApp && $0.to == 3 }.map(\.index)
        #expect(probes.prefix(2) == [7, 2])
        #expect(cluster.committedData(3) == ["e0", "e1", "e2", "e3", "e4"])
    }

    @Test("a leader commits an entry of a previous term only through an entry of its own term")
    func commitOnlyCurrentTerm() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        // Index 3, of term 2, reaches no one else.
        cluster.drops = { $0.from == 1 }
        try cluster[1].propose(Data("old".utf8))
        cluster.stabilize()
        // 1 leads again at term 4, its appends lost.
        try cluster[1].step(message(.msgHeartbeat, from: 2, to: 1, term: 3))
        cluster.drops = { $0.from == 1 && $0.type == .msgApp }
        cluster.elect(1)
        #expect(cluster.leaders.contains(1))
        #expect(cluster[1].status.hardState.commit == 2)
        // A quorum (1 and 2) holds index 3, but it is of term 2: no commit.
        try cluster[1].step(message(.msgAppResp, from: 2, to: 1, term: 4, index: 3))
        #expect(cluster[1].status.hardState.commit == 2)
        // Index 4 is of term 4: it commits, and index 3 with it.
        try cluster[1].step(message(.msgAppResp, from: 2, to: 1, term: 4, index: 4))
        #expect(cluster[1].status.hardState.commit == 4)
    }

    @Test("a replicating leader falls back to match + 1 and probes after a rejection")
    func replicatingFallsBack() throws {
        var cluster = Cluster(voters: [1, 2])
        cluster.elect(1)
        try cluster[1].propose(Data("a".utf8))
        cluster.stabilize()
        #expect(cluster[1].status.progress![2]!.state == .replicate)
        try cluster[1].propose(Data("b".utf8))
        #expect(cluster[1].status.progress![2]!.next == 5)
        var rejection = message(.msgAppResp, from: 2, to: 1, term: 2, index: 4)
        rejection.reject = true
        rejection.rejectHint = 3
        try cluster[1].step(rejection)
        let progress = cluster[1].status.progress![2]!
        #expect(progress.state == .probe)
        #expect(progress.next == 4)
        #expect(progress.match == 3)
    }

    @Test("inflights bound the appends in flight to a replicating follower")
    func inflightsBound() throws {
        var cluster = Cluster(voters: [1, 2]) { $0.maxInflightMsgs = 2 }
        cluster.elect(1)
        for i in 0..<5 { try cluster[1].propose(Data("p\(i)".utf8)) }
        let appends = cluster[1].ready().messages.filter { $0.type == .msgApp && $0.to == 2 }
        #expect(appends.count == 2)
        let progress = cluster[1].status.progress![2]!
        #expect(progress.isPaused)
        #expect(progress.description.contains("inflight=2[full]"))
    }

    @Test("an append carries at most MaxSizePerMsg bytes of entries, but always one entry")
    func messageSizeLimit() throws {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.maxSizePerMsg = 0 }
        cluster.elect(1)
        cluster.drops = { $0.to == 3 }
        for i in 0..<3 { try cluster[1].propose(Data("entry-\(i)".utf8)) }
        cluster.stabilize()
        cluster.drops = { _ in false }
        cluster.delivered = []
        cluster[1].tick()
        cluster.stabilize()
        let appends = cluster.delivered.filter { $0.type == .msgApp && $0.to == 3 && !$0.entries.isEmpty }
        #expect(appends.count == 3)
        #expect(appends.allSatisfy { $0.entries.count == 1 })
        #expect(cluster.committedData(3) == ["entry-0", "entry-1", "entry-2"])
    }
}
