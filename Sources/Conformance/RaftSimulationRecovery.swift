import Foundation
import Raft
import Wire

extension RaftSimulation {
    /// Heals every fault (restarts the crashed, joins the partition, stops losing and
    /// reordering) and requires the cluster to elect a leader and commit a proposal
    /// within `recoveryTicks` ticks.
    mutating func recover() throws {
        network.heal()
        for i in nodes.indices where !nodes[i].isRunning { try nodes[i].start(settings: settings, seed: seed) }
        nextRequest += 1
        let proposal = SimulatedNode.encode(digest: nextRequest)
        awaited = proposal
        awaitedApplied = false
        defer { awaited = nil }
        var proposedTo: (node: UInt64, term: UInt64)?
        for tick in 0..<RaftSimulation.recoveryTicks {
            for i in runningIndices { nodes[i].raft!.tick() }
            try settle()
            if awaitedApplied { return }
            guard let (i, status) = currentLeader() else { continue }
            // Propose to each new leader, and again now and then: a leader drops
            // proposals during a transfer or past its uncommitted-size limit.
            if proposedTo == nil || proposedTo! != (nodes[i].id, status.hardState.term) || tick % 10 == 0 {
                proposedTo = (nodes[i].id, status.hardState.term)
                try? nodes[i].raft!.propose(proposal)
                try settle()
                if awaitedApplied { return }
            }
        }
        let roles = nodes.map { node in
            guard let raft = node.raft else { return "\(node.id): down" }
            let status = raft.status
            let progress = status.progress.map { " progress [\($0.description.split(separator: "\n").joined(separator: ", "))]" } ?? ""
            return "\(node.id): \(status.softState.role) term \(status.hardState.term) commit \(status.hardState.commit) applied \(status.applied) config \(status.config)\(progress)"
        }
        throw SafetyViolation(description: "no progress: a proposal did not commit within \(RaftSimulation.recoveryTicks) ticks after faults healed (\(roles.joined(separator: "; ")))")
    }

    /// Handles every Ready and delivers every message, in order, until all is quiet.
    private mutating func settle() throws {
        var rounds = 0
        while true {
            var busy = false
            for i in runningIndices where nodes[i].raft?.hasReady ?? false {
                try handleReady(i)
                busy = true
            }
            for message in network.takeAll() {
                busy = true
                try deliver(message)
            }
            try checkRoles()
            if !busy { return }
            rounds += 1
            if rounds > 10_000 { throw SafetyViolation(description: "the healed cluster never quiesced") }
        }
    }

    /// The leader of the highest term among running members. A leader demoted to
    /// learner keeps leading (as in etcd 3.4) and can still commit.
    private func currentLeader() -> (Int, Status)? {
        var best: (Int, Status)?
        for i in runningIndices {
            let status = nodes[i].raft!.status
            guard status.softState.role == .leader, status.progress?[nodes[i].id] != nil else { continue }
            if best == nil || status.hardState.term > best!.1.hardState.term { best = (i, status) }
        }
        return best
    }
}
