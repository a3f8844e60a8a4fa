import Foundation
import Raft
import Testing
import Wire

@Suite("Flow control")
struct FlowControlTests {
    /// A two-node cluster led by 1, replicating to 2; what 1 sends is taken out by hand.
    private func replicatingPair(configure: @escaping (inout RaftConfig) -> Void = { _ in }) -> Cluster {
        var cluster = Cluster(voters: [1, 2], configure: configure)
        cluster.elect(1)
        return cluster
    }

    /// Proposes `count` entries at the leader and returns the appends it sends to 2.
    private func proposeAndTakeAppends(_ cluster: inout Cluster, count: Int) throws -> [Message] {
        for i in 0..<count { try cluster[1].propose(Data("p\(i)".utf8)) }
        cluster.handleReady(1)
        defer { cluster.queue = [] }
        return cluster.queue.filter { $0.type == .msgApp && $0.to == 2 }
    }

    @Test("a leader stops sending appends once MaxInflightMsgs are unacknowledged")
    func inflightWindowFull() throws {
        var cluster = replicatingPair { $0.maxInflightMsgs = 3 }
        let appends = try proposeAndTakeAppends(&cluster, count: 5)
        #expect(appends.count == 3)
        #expect(cluster[1].status.progress![2]!.isPaused)
    }

    @Test("an acknowledgement frees the window up to its index and the held entries go out")
    func ackMovesWindowForward() throws {
        var cluster = replicatingPair { $0.maxInflightMsgs = 3 }
        let appends = try proposeAndTakeAppends(&cluster, count: 5)
        try cluster[1].step(message(.msgAppResp, from: 2, to: 1, term: 2, index: appends[0].entries.last!.index))
        cluster.handleReady(1)
        let more = cluster.queue.filter { $0.type == .msgApp && $0.to == 2 }
        #expect(more.count == 1)
        #expect(more.first?.entries.map(\.index) == [6, 7])
    }

    @Test("a heartbeat response frees one slot of a full window")
    func heartbeatResponseFreesOneSlot() throws {
        var cluster = replicatingPair { $0.maxInflightMsgs = 3 }
        _ = try proposeAndTakeAppends(&cluster, count: 5)
        try cluster[1].step(message(.msgHeartbeatResp, from: 2, to: 1, term: 2))
        cluster.handleReady(1)
        #expect(cluster.queue.filter { $0.type == .msgApp && $0.to == 2 }.count == 1)
        #expect(cluster[1].status.progress![2]!.isPaused)
    }

    @Test("each append carries entries up to MaxSizePerMsg bytes, and at least one")
    func appendsBoundedBySize() throws {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.maxSizePerMsg = 0 }
        cluster.elect(1)
        cluster.drops = { $0.to == 3 }
        for i in 0..<4 { try cluster[1].propose(Data("p\(i)".utf8)) }
        cluster.stabilize()
        cluster[1].reportUnreachable(3)
        #expect(cluster[1].status.progress![3]!.state == .probe)
        cluster.drops = { _ in false }
        cluster.delivered = []
        cluster.tickAll()
        let appends = cluster.delivered.filter { $0.type == .msgApp && $0.to == 3 && !$0.entries.isEmpty }
        #expect(appends.count == 4)
        #expect(appends.allSatisfy { $0.entries.count == 1 })
        #expect(cluster.committedData(3) == ["p0", "p1", "p2", "p3"])
    }

    @Test("ReportUnreachable sends a replicating follower back to probing")
    func unreachableProbes() {
        var cluster = replicatingPair()
        #expect(cluster[1].status.progress![2]!.state == .replicate)
        cluster[1].reportUnreachable(2)
        #expect(cluster[1].status.progress![2]!.state == .probe)
    }

    @Test("a leader drops proposals past MaxUncommittedEntriesSize and takes them again once the tail commits")
    func uncommittedSizeLimit() throws {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.maxUncommittedEntriesSize = 30 }
        cluster.elect(1)
        cluster.drops = { $0.from == 1 }
        let payload = Data(repeating: 7, count: 10)
        for _ in 0..<3 { try cluster[1].propose(payload) }
        #expect(throws: RaftError.proposalDropped) { try cluster[1].propose(payload) }
        cluster.stabilize()
        cluster.drops = { _ in false }
        cluster.tickAll()
        #expect(cluster[1].status.hardState.commit == 5)
        try cluster[1].propose(payload)
    }

    @Test("a Ready hands out committed entries up to MaxCommittedSizePerReady bytes, and at least one")
    func committedEntriesBoundedPerReady() throws {
        var (node, _) = try standaloneNode(1, voters: [1], terms: [1, 1, 1, 1, 1], commit: 6) {
            $0.maxCommittedSizePerReady = 35
        }
        var batches: [[UInt64]] = []
        while node.hasReady {
            let ready = node.ready()
            if !ready.committedEntries.isEmpty { batches.append(ready.committedEntries.map(\.index)) }
            node.advance(ready)
        }
        #expect(batches == [[2, 3], [4, 5], [6]])
    }

    @Test("with DisableProposalForwarding a follower drops proposals instead of forwarding them")
    func proposalForwardingDisabled() throws {
        var cluster = Cluster(voters: [1, 2, 3]) { $0.disableProposalForwarding = true }
        cluster.elect(1)
        #expect(throws: RaftError.proposalDropped) { try cluster[2].propose(Data("x".utf8)) }
        try cluster[1].propose(Data("y".utf8))
        cluster.stabilize()
        #expect(cluster.committedData(2) == ["y"])
    }

    @Test("by default a follower forwards proposals to the leader")
    func proposalForwarded() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster[2].propose(Data("x".utf8))
        cluster.stabilize()
        #expect(cluster.committedData(1) == ["x"])
    }
}
