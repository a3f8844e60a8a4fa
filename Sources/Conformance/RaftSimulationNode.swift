import Foundation
import Raft
import Wire

/// One member of a simulated cluster. Its `MemoryStorage` is its disk: hard state, log
/// and snapshot survive a crash. The raft node and the state machine live in memory and
/// are rebuilt from the disk on restart; whatever a Ready had not yet persisted is lost.
struct SimulatedNode {
    let id: UInt64
    let storage = MemoryStorage()
    /// The running raft node; nil while crashed.
    var raft: RawNode?
    /// The state machine: the index it has applied up to and a digest of every entry
    /// applied, which snapshots carry as their data.
    var appliedIndex: UInt64 = 0
    var digest: UInt64 = 0
    /// The membership as of `appliedIndex`, recorded in the snapshots this node takes.
    var confState = ConfState()
    /// The highest commit index of this node whose entries the checker has noted.
    var notedCommit: UInt64 = 0
    var restarts = 0

    /// A node bootstrapped, as etcd's initial cluster is, from a snapshot at index 1 of
    /// term 1 holding the membership and an empty state machine.
    init(id: UInt64, voters: [UInt64]) {
        self.id = id
        let bootstrap = Snapshot(data: SimulatedNode.encode(digest: 0),
                                 metadata: SnapshotMetadata(confState: ConfState(voters: voters), index: 1, term: 1))
        try! storage.applySnapshot(bootstrap)
        storage.setHardState(HardState(term: 1, commit: 1))
        notedCommit = 1
    }

    var isRunning: Bool { raft != nil }

    /// Starts (or restarts) raft from the disk, and the state machine from the disk's
    /// snapshot, the way a server recovers after a crash.
    mutating func start(settings: RaftSimulation.Settings, seed: UInt64) throws {
        let snapshot = storage.snapshot()
        appliedIndex = snapshot.metadata.index
        digest = SimulatedNode.decodeDigest(snapshot.data)
        confState = snapshot.metadata.confState
        var config = RaftConfig(id: id, storage: storage)
        config.electionTick = 10
        config.heartbeatTick = 1
        config.preVote = settings.preVote
        config.checkQuorum = settings.checkQuorum
        config.readOnlyOption = settings.readOnlyOption
        config.maxSizePerMsg = settings.maxSizePerMsg
        config.maxInflightMsgs = settings.maxInflightMsgs
        config.maxUncommittedEntriesSize = settings.maxUncommittedEntriesSize
        config.applied = appliedIndex
        // A different but reproducible stream of election timeouts for every run.
        config.random = SplitMix64(seed: seed ^ (id &* 0x9E37_79B9) ^ (UInt64(restarts) << 40))
        raft = try RawNode(config: config)
    }

    /// Loses everything that was only in memory.
    mutating func crash() {
        raft = nil
        restarts += 1
    }

    /// Folds one applied entry into the digest (FNV-1a over its identity and payload).
    mutating func fold(_ entry: Entry) {
        var hash = digest ^ 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        for value in [entry.index, entry.term, UInt64(UInt32(bitPattern: entry.type.rawValue))] {
            for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        for byte in entry.data ?? Data() { mix(byte) }
        digest = hash
        appliedIndex = entry.index
    }

    static func encode(digest: UInt64) -> Data {
        Data((0..<8).map { UInt8(truncatingIfNeeded: digest >> UInt64($0 * 8)) })
    }

    static func decodeDigest(_ data: Data?) -> UInt64 {
        guard let data, data.count == 8 else { return 0 }
        return data.enumerated().reduce(0) { $0 | UInt64($1.element) << UInt64($1.offset * 8) }
    }
}
