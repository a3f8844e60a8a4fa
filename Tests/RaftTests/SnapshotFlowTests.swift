import Foundation
import Raft
import Testing
import Wire

/// etcd's raft_snap_test.go: how a leader tracks a snapshot it sends.
@Suite("Snapshot flow")
struct SnapshotFlowTests {
    /// A cluster whose leader 1 has compacted its log past what follower 3 has, and has
    /// just sent 3 a snapshot, which the network holds back.
    private func snapshotInFlight() throws -> (Cluster, UInt64) {
        var cluster = Cluster(voters: [1, 2, 3])
        cluster.elect(1)
        cluster.drops = { $0.to == 3 }
        for i in 0..<3 { try cluster[1].propose(Data("e\(i)".utf8)) }
        cluster.stabilize()
        let commit = cluster[1].status.hardState.commit
        let storage = cluster.storages[1]!
        try storage.createSnapshot(at: commit, confState: ConfState(voters: [1, 2, 3]), data: nil)
        try storage.compact(to: commit)
        cluster.drops = { $0.type == .msgSnap }
        cluster[1].reportUnreachable(3)
        cluster.tickAll()
        return (cluster, commit)
    }

    @Test("sending a snapshot puts the follower in snapshot state, pending at the snapshot's index, paused")
    func sendingSnapshotSetsPending() throws {
        let (cluster, index) = try snapshotInFlight()
        let progress = cluster[1].status.progress![3]!
        #expect(progress.state == .snapshot)
        #expect(progress.pendingSnapshot == index)
        #expect(progress.isPaused)
    }

    @Test("no appends and no second snapshot go to a follower while its snapshot is pending")
    func pendingSnapshotPausesReplication() throws {
        var (cluster, _) = try snapshotInFlight()
        cluster.sent = []
        try cluster[1].propose(Data("more".utf8))
        cluster.stabilize()
        // The entry is replicated to 2; 3, were it not paused, would be sent the entry or
        // (its log being compacted away) another snapshot.
        #expect(cluster.sent.contains { $0.to == 2 && $0.type == .msgApp && $0.entries.contains { $0.data == Data("more".utf8) } })
        #expect(!cluster.sent.contains { $0.to == 3 && ($0.type == .msgApp || $0.type == .msgSnap) })
    }

    @Test("a failed snapshot sends the follower back to probing from its match, paused until it answers")
    func snapshotFailure() throws {
        var (cluster, _) = try snapshotInFlight()
        let match = cluster[1].status.progress![3]!.match
        cluster[1].reportSnapshot(3, succeeded: false)
        let progress = cluster[1].status.progress![3]!
        #expect(progress.state == .probe)
        #expect(progress.pendingSnapshot == 0)
        #expect(progress.next == match + 1)
        #expect(progress.isPaused)
    }

    @Test("a delivered snapshot sends the follower to probing from after the snapshot, paused until it answers")
    func snapshotSuccess() throws {
        var (cluster, index) = try snapshotInFlight()
        cluster[1].reportSnapshot(3, succeeded: true)
        let progress = cluster[1].status.progress![3]!
        #expect(progress.state == .probe)
        #expect(progress.next == index + 1)
        #expect(progress.isPaused)
    }

    @Test("an append response at or past the pending snapshot ends snapshot state and resumes replication")
    func appendResponseAbortsSnapshot() throws {
        var (cluster, index) = try snapshotInFlight()
        try cluster[1].step(message(.msgAppResp, from: 3, to: 1, term: 2, index: index))
        let progress = cluster[1].status.progress![3]!
        #expect(progress.state == .replicate)
        #expect(progress.pendingSnapshot == 0)
        #expect(progress.match == index)
    }
}
