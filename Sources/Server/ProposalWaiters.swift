import NIOCore
import Wire

/// A proposal in the form raft takes it.
enum RaftProposal {
    case entry([UInt8])
    case confChange(ConfChange)
}

/// This member's proposals waiting for their entries to be applied, by request ID, and
/// those parked until a leader is known (as etcd's node, a proposal waits for a leader
/// until its timeout rather than being dropped by a follower that knows none).
struct ProposalWaiters {
    struct Waiter {
        /// Called once, on the loop, with what the apply answered or why it failed.
        let done: (Result<AppliedAnswer, ServerError>) -> Void
        /// The leader when it was proposed: a timeout after a change names the change.
        let leadAtStart: UInt64
        let deadline: NIODeadline
    }

    private var waiting: [UInt64: Waiter] = [:]
    private var parked: [(id: UInt64, proposal: RaftProposal)] = []

    var count: Int { waiting.count }

    mutating func add(_ waiter: Waiter, id: UInt64) { waiting[id] = waiter }

    mutating func park(_ proposal: RaftProposal, id: UInt64) { parked.append((id, proposal)) }

    /// The parked proposals still waiting, in the order they came; none stay parked.
    mutating func unpark() -> [(id: UInt64, proposal: RaftProposal)] {
        defer { parked = [] }
        return parked.filter { waiting[$0.id] != nil }
    }

    /// The waiter of request `id`, no longer waiting.
    mutating func take(_ id: UInt64) -> Waiter? { waiting.removeValue(forKey: id) }

    /// The waiters whose deadline has come, oldest request first, no longer waiting.
    mutating func takeExpired(now: NIODeadline) -> [Waiter] {
        let expired = waiting.filter { $0.value.deadline <= now }.sorted { $0.key < $1.key }
        for (id, _) in expired { waiting[id] = nil }
        return expired.map(\.value)
    }

    /// Every waiter, none left waiting or parked.
    mutating func takeAll() -> [Waiter] {
        defer { self = ProposalWaiters() }
        return waiting.sorted { $0.key < $1.key }.map(\.value)
    }
}
