import Foundation
import Wire

/// A raft node driven by its owner on one thread (etcd's RawNode): feed it ticks,
/// messages and proposals, then take a `Ready`, handle it and `advance`. Nothing here
/// does I/O or reads a clock.
public struct RawNode {
    var replica: Replica
    private var previousSoftState: SoftState
    private var previousHardState: HardState

    /// Starts a node from its storage, which holds what an earlier run persisted or a
    /// bootstrap snapshot. Throws `RaftConfig.Invalid`, `StorageError` or
    /// `ConfChangeError` when the configuration or the stored state is unusable.
    public init(config: RaftConfig) throws {
        replica = try Replica(config: config)
        previousSoftState = replica.softState
        previousHardState = replica.hardState
    }

    public var id: UInt64 { replica.id }

    /// Advances the logical clock by one tick: elections and heartbeats are counted in
    /// ticks.
    public mutating func tick() { replica.tick() }

    /// Starts an election now.
    public mutating func campaign() throws(RaftError) {
        try replica.step(Message(type: .msgHup))
    }

    /// Proposes `data` for the log; a follower forwards it to the leader.
    public mutating func propose(_ data: Data) throws(RaftError) {
        try replica.step(Message(type: .msgProp, from: replica.id, entries: [Entry(data: data)]))
    }

    /// Proposes several entries at once, in order, as one message: a leader appends them
    /// together and sends them in one MsgApp to each follower; a follower forwards them in
    /// one MsgProp. All are taken or none.
    public mutating func propose(_ batch: [Data]) throws(RaftError) {
        guard !batch.isEmpty else { return }
        try replica.step(Message(type: .msgProp, from: replica.id, entries: batch.map { Entry(data: $0) }))
    }

    /// Proposes a membership change (v1).
    public mutating func proposeConfChange(_ change: ConfChange) throws(RaftError) {
        try replica.step(Message(type: .msgProp, entries: [Entry(type: .entryConfChange, data: change.serializedData())]))
    }

    /// Proposes a membership change (v2, possibly joint).
    public mutating func proposeConfChange(_ change: ConfChangeV2) throws(RaftError) {
        try replica.step(Message(type: .msgProp, entries: [Entry(type: .entryConfChangeV2, data: change.serializedData())]))
    }

    /// Applies a committed conf change to the membership; returns the new one.
    public mutating func applyConfChange(_ change: ConfChange) throws(ConfChangeError) -> ConfState {
        try replica.applyConfChange(change.asV2)
    }

    public mutating func applyConfChange(_ change: ConfChangeV2) throws(ConfChangeError) -> ConfState {
        try replica.applyConfChange(change)
    }

    /// Takes a message from a peer. Local message types and responses from unknown
    /// nodes are refused.
    public mutating func step(_ message: Message) throws(RaftError) {
        if message.type.isLocal { throw .stepLocalMessage }
        if replica.tracker.progress[message.from] == nil && message.type.isResponse { throw .stepPeerNotFound }
        try replica.step(message)
    }

    /// Whether `ready()` has anything.
    public var hasReady: Bool {
        if replica.softState != previousSoftState { return true }
        let hardState = replica.hardState
        if !hardState.isEmpty && hardState != previousHardState { return true }
        if let snapshot = replica.log.unstable.snapshot, snapshot.metadata.index != 0 { return true }
        return !replica.messages.isEmpty || !replica.log.unstableEntries.isEmpty || replica.log.hasNextEntries
            || !replica.readStates.isEmpty
    }

    /// What the application must now persist, send and apply. The messages and read
    /// states are handed out once; the rest again until `advance`.
    public mutating func ready() -> Ready {
        var ready = Ready()
        ready.entries = replica.log.unstableEntries
        ready.committedEntries = replica.log.nextEntries()
        ready.messages = replica.messages
        let softState = replica.softState
        if softState != previousSoftState {
            ready.softState = softState
            previousSoftState = softState
        }
        let hardState = replica.hardState
        if hardState != previousHardState { ready.hardState = hardState }
        ready.snapshot = replica.log.unstable.snapshot
        ready.readStates = replica.readStates
        ready.mustSync = !ready.entries.isEmpty || hardState.vote != previousHardState.vote
            || hardState.term != previousHardState.term
        replica.readStates = []
        replica.messages = []
        return ready
    }

    /// Tells the node that `ready` was handled: its entries and snapshot persisted, its
    /// committed entries applied.
    public mutating func advance(_ ready: Ready) {
        if let hardState = ready.hardState, !hardState.isEmpty { previousHardState = hardState }
        replica.advance(ready)
    }

    /// Tells the leader that `id` could not be reached: appends to it were probably lost.
    public mutating func reportUnreachable(_ id: UInt64) {
        _ = try? replica.step(Message(type: .msgUnreachable, from: id))
    }

    /// Tells the leader whether the snapshot sent to `id` arrived.
    public mutating func reportSnapshot(_ id: UInt64, succeeded: Bool) {
        _ = try? replica.step(Message(type: .msgSnapStatus, from: id, reject: !succeeded))
    }

    /// Asks the leader to hand leadership to `transferee`.
    public mutating func transferLeader(to transferee: UInt64) {
        _ = try? replica.step(Message(type: .msgTransferLeader, from: transferee))
    }

    /// Requests a read index for a linearizable read; the answer comes as a ReadState
    /// carrying `context`.
    public mutating func readIndex(context: [UInt8]) {
        _ = try? replica.step(Message(type: .msgReadIndex, entries: [Entry(data: Data(context))]))
    }

    public var status: Status {
        Status(id: replica.id, hardState: replica.hardState, softState: replica.softState,
               applied: replica.log.applied, leadTransferee: replica.leadTransferee,
               progress: replica.role == .leader ? replica.tracker.progress : nil,
               config: replica.tracker.config)
    }
}

extension MessageType {
    /// Messages a node makes for itself, never sent between nodes.
    public var isLocal: Bool {
        self == .msgHup || self == .msgBeat || self == .msgUnreachable || self == .msgSnapStatus || self == .msgCheckQuorum
    }

    /// Answers to a node's requests, meaningful only from a tracked peer.
    public var isResponse: Bool {
        self == .msgAppResp || self == .msgVoteResp || self == .msgHeartbeatResp || self == .msgUnreachable
            || self == .msgPreVoteResp
    }
}
