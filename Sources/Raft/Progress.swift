/// What the leader knows of one follower's log and how it sends to it
/// (etcd's tracker.Progress).
public struct Progress: Sendable, CustomStringConvertible {
    /// How the leader replicates to a follower.
    public enum State: Sendable, CustomStringConvertible {
        /// One append at a time until the follower's log position is found.
        case probe
        /// Appends streamed optimistically, bounded by the inflights.
        case replicate
        /// A snapshot is on its way; nothing else is sent.
        case snapshot

        public var description: String {
            switch self {
            case .probe: "StateProbe"
            case .replicate: "StateReplicate"
            case .snapshot: "StateSnapshot"
            }
        }
    }

    /// The highest index known to be in the follower's log.
    public var match: UInt64
    /// The next index to send.
    public var next: UInt64
    public internal(set) var state: State = .probe
    /// The index of the snapshot in flight while in `.snapshot`.
    public internal(set) var pendingSnapshot: UInt64 = 0
    /// Heard from since the last quorum check.
    public var recentActive = false
    /// In `.probe`: an append was sent and not answered yet.
    public internal(set) var probeSent = false
    public internal(set) var inflights: Inflights
    public internal(set) var isLearner: Bool

    init(match: UInt64, next: UInt64, maxInflight: Int, isLearner: Bool, recentActive: Bool = false) {
        self.match = match
        self.next = next
        self.inflights = Inflights(capacity: maxInflight)
        self.isLearner = isLearner
        self.recentActive = recentActive
    }

    private mutating func reset(to state: State) {
        probeSent = false
        pendingSnapshot = 0
        self.state = state
        inflights.reset()
    }

    mutating func becomeProbe() {
        // After a snapshot, probe from the snapshot on: it is what the follower will have.
        let floor = state == .snapshot ? pendingSnapshot + 1 : 0
        reset(to: .probe)
        next = max(match + 1, floor)
    }

    mutating func becomeReplicate() {
        reset(to: .replicate)
        next = match + 1
    }

    mutating func becomeSnapshot(_ index: UInt64) {
        reset(to: .snapshot)
        pendingSnapshot = index
    }

    /// Records that the follower has `index`; false if that was known already.
    mutating func maybeUpdate(_ index: UInt64) -> Bool {
        var updated = false
        if match < index {
            match = index
            updated = true
            probeSent = false
        }
        next = max(next, index + 1)
        return updated
    }

    mutating func optimisticUpdate(_ index: UInt64) { next = index + 1 }

    /// Handles the rejection of the append at `rejected`, the follower's last index being
    /// `hint`; false if the rejection is stale. Replicating falls back to match + 1;
    /// probing retries below the rejected index, at most at the hint + 1.
    mutating func maybeDecrease(rejected: UInt64, hint: UInt64) -> Bool {
        if state == .replicate {
            if rejected <= match { return false }
            next = match + 1
            return true
        }
        if next - 1 != rejected { return false }
        next = max(1, min(rejected, hint + 1))
        probeSent = false
        return true
    }

    /// Whether sending to this follower is on hold.
    public var isPaused: Bool {
        switch state {
        case .probe: probeSent
        case .replicate: inflights.isFull
        case .snapshot: true
        }
    }

    /// etcd's Progress.String: `StateReplicate match=5 next=6 inflight=1`.
    public var description: String {
        var text = "\(state) match=\(match) next=\(next)"
        if isLearner { text += " learner" }
        if isPaused { text += " paused" }
        if pendingSnapshot > 0 { text += " pendingSnap=\(pendingSnapshot)" }
        if !recentActive { text += " inactive" }
        if inflights.count > 0 {
            text += " inflight=\(inflights.count)"
            if inflights.isFull { text += "[full]" }
        }
        return text
    }
}

/// The progress of every member, visited in ascending ID order.
public struct ProgressMap: Sendable, CustomStringConvertible {
    private var byID: [UInt64: Progress] = [:]
    /// The IDs in ascending order, kept so that visiting never sorts.
    public private(set) var ids: [UInt64] = []

    public init() {}

    /// Changes go through here in place; members come and go only by `insert`/`remove`.
    public internal(set) subscript(id: UInt64) -> Progress? {
        get { byID[id] }
        _modify { yield &byID[id] }
    }

    mutating func insert(_ progress: Progress, for id: UInt64) {
        if byID.updateValue(progress, forKey: id) == nil {
            ids.insert(id, at: ids.firstIndex { $0 > id } ?? ids.endIndex)
        }
    }

    mutating func remove(_ id: UInt64) {
        if byID.removeValue(forKey: id) != nil { ids.removeAll { $0 == id } }
    }

    public var isEmpty: Bool { byID.isEmpty }

    /// One `ID: progress` line per member in ID order, as etcd's ProgressMap.String.
    public var description: String {
        ids.map { "\($0): \(byID[$0]!)\n" }.joined()
    }
}
