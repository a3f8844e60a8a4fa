import Raft
import Testing

@Suite("Quorums")
struct QuorumTests {
    @Test("a majority config commits the highest index acknowledged by a majority")
    func majorityCommittedIndex() {
        let config = MajorityConfig([1, 2, 3, 4, 5])
        let acked: [UInt64: UInt64] = [1: 9, 2: 7, 3: 5, 4: 3]
        #expect(config.committedIndex { acked[$0] } == 5)
        #expect(MajorityConfig([1, 2]).committedIndex { acked[$0] } == 7)
        #expect(MajorityConfig().committedIndex { acked[$0] } == .max)
    }

    @Test("a joint config commits the lower of its two halves' indexes")
    func jointCommittedIndex() {
        let joint = JointConfig(incoming: MajorityConfig([1, 2, 3]), outgoing: MajorityConfig([3, 4, 5]))
        let acked: [UInt64: UInt64] = [1: 10, 2: 10, 3: 4, 4: 2, 5: 1]
        #expect(joint.committedIndex { acked[$0] } == 2)
        #expect(JointConfig(incoming: MajorityConfig([1, 2, 3])).committedIndex { acked[$0] } == 10)
    }

    @Test("a vote is won by a majority, lost when a majority is out of reach, else pending")
    func majorityVote() {
        let config = MajorityConfig([1, 2, 3])
        #expect(config.voteResult([1: true, 2: true]) == .won)
        #expect(config.voteResult([1: true, 2: false]) == .pending)
        #expect(config.voteResult([1: true, 2: false, 3: false]) == .lost)
        #expect(MajorityConfig().voteResult([:]) == .won)
    }

    @Test("a joint vote needs both halves: lost if either is lost")
    func jointVote() {
        let joint = JointConfig(incoming: MajorityConfig([1, 2, 3]), outgoing: MajorityConfig([1, 4, 5]))
        #expect(joint.voteResult([1: true, 2: true]) == .pending)
        #expect(joint.voteResult([1: true, 2: true, 4: true]) == .won)
        #expect(joint.voteResult([1: true, 2: true, 4: false, 5: false]) == .lost)
    }

    @Test("a progress map prints one etcd-style line per member in ID order")
    func progressDescription() throws {
        var cluster = Cluster(voters: [1, 2], learners: [3])
        cluster.elect(1)
        #expect(cluster[1].status.progress!.description == """
            1: StateReplicate match=2 next=3 inactive
            2: StateReplicate match=2 next=3
            3: StateReplicate match=2 next=3 learner

            """)
        #expect(cluster[2].status.progress == nil)
    }
}
