import Foundation
import Raft
import Testing
import Wire

@Suite("Read-only requests")
struct ReadOnlyTests {
    @Test("safe reads from any node come back with their context and the leader's commit index once a heartbeat quorum confirms")
    func safeReadsFromEveryNode() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        try cluster[1].propose(Data("x".utf8))
        cluster.stabilize()
        for id: UInt64 in [1, 2, 3] {
            cluster[id].readIndex(context: [UInt8(id), 9])
            cluster.stabilize()
            #expect(cluster.readStates[id] == [ReadState(index: 3, requestContext: [UInt8(id), 9])])
        }
    }

    @Test("a heartbeat ack for a later read confirms every earlier read too, in order")
    func laterAckConfirmsEarlierReads() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster[1].readIndex(context: [1])
        cluster[1].readIndex(context: [2])
        let ready = cluster[1].ready()
        #expect(ready.readStates.isEmpty)
        // Both reads wait for a quorum: each went out in a heartbeat to both followers.
        #expect(ready.messages.filter { $0.type == .msgHeartbeat }.map(\.context) == [Data([1]), Data([1]), Data([2]), Data([2])])
        cluster[1].advance(ready)
        try cluster[1].step(Message(type: .msgHeartbeatResp, to: 1, from: 3, term: 2, context: Data([2])))
        #expect(cluster[1].ready().readStates.map(\.requestContext) == [[1], [2]])
    }

    @Test("a lease-based read is answered by the leader at once, without a heartbeat round")
    func leaseBasedReadAnsweredAtOnce() {
        var cluster = Cluster(voters: [1, 2, 3]) {
            $0.checkQuorum = true
            $0.readOnlyOption = .leaseBased
        }
        cluster.elect(1)
        cluster[1].readIndex(context: [5])
        let ready = cluster[1].ready()
        #expect(ready.readStates == [ReadState(index: 2, requestContext: [5])])
        #expect(ready.messages.isEmpty)
    }

    @Test("lease-based reads require check-quorum")
    func leaseRequiresCheckQuorum() {
        var config = RaftConfig(id: 1, storage: MemoryStorage())
        config.readOnlyOption = .leaseBased
        #expect(throws: RaftConfig.Invalid.leaseWithoutCheckQuorum) { _ = try RawNode(config: config) }
    }

    @Test("a new leader holds reads until it has committed an entry of its term")
    func newLeaderHoldsReads() {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.drops = { $0.type == .msgApp }
        cluster.elect(1)
        #expect(cluster.leaders == [1])
        cluster[1].readIndex(context: [7])
        cluster.stabilize()
        #expect(cluster.readStates[1, default: []].isEmpty)
        cluster.drops = { _ in false }
        cluster.tickAll()
        #expect(cluster.readStates[1] == [ReadState(index: 2, requestContext: [7])])
    }

    @Test("a follower without a leader drops a read request: it is not answered once a leader is known either")
    func readWithoutLeaderDropped() {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster[2].readIndex(context: [1])
        #expect(!cluster[2].hasReady)
        cluster.elect(1)
        cluster[2].readIndex(context: [2])
        cluster.stabilize()
        #expect(cluster.readStates[2]?.map(\.requestContext) == [[2]])
    }
}
