import Foundation
import Raft
import Wire

extension RaftSimulation {
    /// Handles one Ready of node `i` as a server does, in etcd's order: install the
    /// snapshot, persist the hard state and entries, send, apply, advance. Every fact
    /// it makes durable or visible goes past the checker.
    mutating func handleReady(_ i: Int) throws {
        let ready = nodes[i].raft!.ready()
        let storage = nodes[i].storage
        let id = nodes[i].id
        if let snapshot = ready.snapshot {
            try storage.applySnapshot(snapshot)
            nodes[i].appliedIndex = snapshot.metadata.index
            nodes[i].digest = SimulatedNode.decodeDigest(snapshot.data)
            nodes[i].confState = snapshot.metadata.confState
            try checker.restored(digest: nodes[i].digest, at: snapshot.metadata.index, by: id)
        }
        if let hardState = ready.hardState { storage.setHardState(hardState) }
        storage.append(ready.entries)
        try checker.persisted(ready.entries, by: id, in: storage)
        try checker.committed(through: storage.hardState.commit, inTerm: storage.hardState.term, by: &nodes[i])
        network.send(ready.messages)
        for state in ready.readStates { try checkRead(state, by: id) }

        var removedItself = false
        for entry in ready.committedEntries {
            nodes[i].fold(entry)
            try checker.applied(entry, by: id, digest: nodes[i].digest)
            if entry.data == awaited { awaitedApplied = true }
            if let change = try decodeConfChange(entry) {
                do {
                    nodes[i].confState = try nodes[i].raft!.applyConfChange(change)
                } catch {
                    throw SafetyViolation(description: "node \(id) cannot apply committed conf change at index \(entry.index): \(error)")
                }
                let state = nodes[i].confState
                removedItself = !(state.voters + state.votersOutgoing + state.learners).contains(id)
            }
        }
        nodes[i].raft!.advance(ready)

        let status = nodes[i].raft!.status
        if status.softState.role == .leader {
            try checker.checkCompleteness(ofLeader: id, term: status.hardState.term, storage: storage)
            // As etcd's server does, a member removed from the cluster stops; a leader
            // that kept running would keep its followers from ever electing another.
            if removedItself { nodes[i].crash() }
        }
    }

    private func decodeConfChange(_ entry: Entry) throws -> ConfChangeV2? {
        let bytes = entry.data ?? Data()
        switch entry.type {
        case .entryConfChange: return try ConfChange(serializedBytes: bytes).asV2
        case .entryConfChangeV2: return try ConfChangeV2(serializedBytes: bytes)
        default: return nil
        }
    }

    /// Linearizability of quorum-confirmed reads: served at an index no lower than any
    /// state machine had applied when the read was requested. Lease-based reads trust
    /// bounded clock drift, which a simulation ticking nodes independently does not have.
    private mutating func checkRead(_ state: ReadState, by node: UInt64) throws {
        guard let floor = pendingReads.removeValue(forKey: state.requestContext),
              settings.readOnlyOption == .safe else { return }
        if state.index < floor {
            throw SafetyViolation(description: "read index: node \(node) was told to read at \(state.index), but index \(floor) was applied before the read was requested")
        }
    }
}
