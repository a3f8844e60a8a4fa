import Foundation
import Raft
import Testing
import Wire

@Suite("Read index")
struct ReadIndexTests {
    @Test("a leader answers a read index with its commit index after a heartbeat quorum")
    func leaderReadIndex() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster[1].readIndex(context: [7, 7])
        var ready = cluster[1].ready()
        #expect(ready.readStates.isEmpty)
        #expect(ready.messages.map(\.type) == [.msgHeartbeat, .msgHeartbeat])
        #expect(ready.messages.allSatisfy { $0.context == Data([7, 7]) })
        cluster[1].advance(ready)
        try cluster[1].step(Message(type: .msgHeartbeatResp, to: 1, from: 2, term: 2, context: Data([7, 7])))
        ready = cluster[1].ready()
        #expect(ready.readStates == [ReadState(index: 2, requestContext: [7, 7])])
    }

    @Test("a follower's read index is forwarded and answered by the leader")
    func followerReadIndex() {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster[3].readIndex(context: [1])
        var states: [ReadState] = []
        while cluster[3].hasReady || !cluster.queue.isEmpty {
            let ready = cluster[3].ready()
            states += ready.readStates
            cluster.queue += ready.messages
            cluster[3].advance(ready)
            cluster.stabilize()
        }
        cluster.stabilize()
        // The read state may come with the Ready taken inside stabilize: check the log.
        #expect(cluster.delivered.contains { $0.type == .msgReadIndexResp && $0.to == 3 && $0.index == 2 })
    }
}
