import Foundation
import Raft
import Wire

/// An in-memory raft cluster on one thread: nodes with MemoryStorage, one FIFO queue of
/// messages, and an optional filter that drops messages (partitions).
struct Cluster {
    var nodes: [UInt64: RawNode] = [:]
    var storages: [UInt64: MemoryStorage] = [:]
    var queue: [Message] = []
    /// Entries each node has applied, in order.
    var applied: [UInt64: [Entry]] = [:]
    /// Read states each node's Readies handed out, in order.
    var readStates: [UInt64: [ReadState]] = [:]
    /// Every message stepped into a node, in order.
    var delivered: [Message] = []
    /// Every message a node sent, dropped or not, in order.
    var sent: [Message] = []
    /// Messages for which this returns true are dropped.
    var drops: (Message) -> Bool = { _ in false }

    /// Bootstraps `voters` and `learners` from a snapshot at index 1, term 1, as of term 1.
    init(voters: [UInt64], learners: [UInt64] = [], configure: (inout RaftConfig) -> Void = { _ in }) {
        for id in voters + learners { add(id, voters: voters, learners: learners, configure: configure) }
    }

    /// Adds node `id` bootstrapped with that membership, or with empty storage when both
    /// lists are empty (it learns everything from a leader).
    mutating func add(_ id: UInt64, voters: [UInt64] = [], learners: [UInt64] = [], configure: (inout RaftConfig) -> Void = { _ in }) {
        let storage = MemoryStorage()
        var applied: UInt64 = 0
        if !voters.isEmpty || !learners.isEmpty {
            try! storage.applySnapshot(Snapshot(metadata: SnapshotMetadata(
                confState: ConfState(voters: voters, learners: learners), index: 1, term: 1)))
            storage.setHardState(HardState(term: 1, commit: 1))
            applied = 1
        }
        var config = RaftConfig(id: id, storage: storage)
        config.electionTick = 10
        config.heartbeatTick = 1
        config.applied = applied
        config.random = SplitMix64(seed: id)
        configure(&config)
        nodes[id] = try! RawNode(config: config)
        storages[id] = storage
        self.applied[id] = []
    }

    subscript(id: UInt64) -> RawNode {
        get { nodes[id]! }
        set { nodes[id] = newValue }
    }

    /// Handles one Ready of `id` as an application must: persist, queue the messages,
    /// apply committed entries (conf changes too), advance.
    mutating func handleReady(_ id: UInt64) {
        let ready = nodes[id]!.ready()
        let storage = storages[id]!
        if let hardState = ready.hardState { storage.setHardState(hardState) }
        storage.append(ready.entries)
        if let snapshot = ready.snapshot { try! storage.applySnapshot(snapshot) }
        queue.append(contentsOf: ready.messages)
        sent.append(contentsOf: ready.messages)
        readStates[id, default: []] += ready.readStates
        for entry in ready.committedEntries {
            let bytes = entry.data.map { [UInt8]($0) } ?? []
            switch entry.type {
            case .entryConfChange: _ = try! nodes[id]!.applyConfChange(try! ConfChange(serializedBytes: bytes))
            case .entryConfChangeV2: _ = try! nodes[id]!.applyConfChange(try! ConfChangeV2(serializedBytes: bytes))
            default: break
            }
            applied[id]!.append(entry)
        }
        nodes[id]!.advance(ready)
    }

    /// Delivers every queued message (and what they cause) until nothing is left.
    mutating func stabilize() {
        while true {
            var progressed = false
            for id in nodes.keys.sorted() where nodes[id]!.hasReady {
                handleReady(id)
                progressed = true
            }
            while !queue.isEmpty {
                let message = queue.removeFirst()
                progressed = true
                if drops(message) || nodes[message.to] == nil { continue }
                delivered.append(message)
                try? nodes[message.to]!.step(message)
            }
            if !progressed { return }
        }
    }

    mutating func elect(_ id: UInt64) {
        try! nodes[id]!.campaign()
        stabilize()
    }

    mutating func tickAll(_ times: Int = 1) {
        for _ in 0..<times {
            for id in nodes.keys.sorted() { nodes[id]!.tick() }
            stabilize()
        }
    }

    var leaders: [UInt64] { nodes.keys.sorted().filter { nodes[$0]!.status.softState.role == .leader } }

    func committedData(_ id: UInt64) -> [String] {
        applied[id]!.filter { $0.type == .entryNormal && !($0.data?.isEmpty ?? true) }
            .map { String(decoding: $0.data!, as: UTF8.self) }
    }
}

/// A message from `from` to `to`, for stepping by hand.
func message(_ type: MessageType, from: UInt64, to: UInt64, term: UInt64, logTerm: UInt64 = 0, index: UInt64 = 0,
             entries: [Entry] = [], commit: UInt64 = 0) -> Message {
    Message(type: type, to: to, from: from, term: term, logTerm: logTerm, index: index, entries: entries, commit: commit)
}
