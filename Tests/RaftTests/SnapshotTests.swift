import Foundation
import Raft
import Testing
import Wire

@Suite("Snapshots")
struct SnapshotTests {
    @Test("a leader sends a snapshot to a follower that needs compacted entries, and the follower restores it")
    func laggingFollowerGetsSnapshot() throws {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.drops = { $0.to == 3 }
        for i in 0..<4 { try cluster[1].propose(Data("e\(i)".utf8)) }
        cluster.stabilize()
        // The leader snapshots its state at the commit index and compacts its log.
        let storage = cluster.storages[1]!
        let commit = cluster[1].status.hardState.commit
        try storage.createSnapshot(at: commit, confState: ConfState(voters: [1, 2, 3]), data: Data("state".utf8))
        try storage.compact(to: commit)
        cluster.drops = { _ in false }
        cluster.delivered = []
        cluster[1].tick()
        cluster.stabilize()
        let snapshots = cluster.delivered.filter { $0.type == .msgSnap && $0.to == 3 }
        #expect(snapshots.count == 1)
        #expect(snapshots.first?.snapshot.metadata.index == commit)
        let follower = cluster.storages[3]!
        #expect(follower.snapshot().metadata.index == commit)
        #expect(follower.snapshot().data == Data("state".utf8))
        #expect(cluster[3].status.hardState.commit == commit)
        #expect(cluster[1].status.progress![3]!.state == .replicate)
        #expect(cluster[1].status.progress![3]!.match == commit)
    }

    @Test("a follower ignores a snapshot not newer than its commit index")
    func staleSnapshotIgnored() throws {
        var cluster = Cluster(voters: [1, 2])
        cluster.elect(1)
        var stale = message(.msgSnap, from: 1, to: 2, term: 2)
        stale.snapshot = Snapshot(metadata: SnapshotMetadata(confState: ConfState(voters: [1, 2]), index: 1, term: 1))
        try cluster[2].step(stale)
        let ready = cluster[2].ready()
        #expect(ready.snapshot == nil)
        #expect(ready.messages.last?.type == .msgAppResp)
        #expect(ready.messages.last?.index == 2)
    }
}
