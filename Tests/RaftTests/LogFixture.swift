import Foundation
import Raft
import Wire

/// A node alone, for stepping by hand: bootstrapped at index 1 of term 1 with `voters`,
/// then holding entries of `terms` from index 2, at hard-state term `term`.
func standaloneNode(_ id: UInt64, voters: [UInt64], terms: [UInt64] = [], term: UInt64 = 1, commit: UInt64 = 1,
                    configure: (inout RaftConfig) -> Void = { _ in }) throws -> (RawNode, MemoryStorage) {
    let storage = MemoryStorage()
    try storage.applySnapshot(Snapshot(metadata: SnapshotMetadata(confState: ConfState(voters: voters), index: 1, term: 1)))
    storage.append(terms.enumerated().map { Entry(term: $0.element, index: UInt64($0.offset) + 2, data: Data(repeating: 1, count: 8)) })
    storage.setHardState(HardState(term: term, commit: commit))
    var config = RaftConfig(id: id, storage: storage)
    config.applied = 1
    config.random = SplitMix64(seed: id)
    configure(&config)
    return (try RawNode(config: config), storage)
}

extension RawNode {
    /// Takes the next Ready's messages, persisting into `storage` what it asks to.
    mutating func drainMessages(into storage: MemoryStorage) -> [Message] {
        let ready = ready()
        if let hardState = ready.hardState { storage.setHardState(hardState) }
        storage.append(ready.entries)
        advance(ready)
        return ready.messages
    }
}
