import Foundation
import NIOCore

/// This member's proposals not yet handed to raft. They go to raft together, as one
/// proposal: on the leader one append, one fsync on each member and one MsgApp to each
/// follower for all of them; on a follower one MsgProp to the leader.
///
/// While entries it already handed on are in flight, a member holds the next batch until
/// they land (at most `hold`): what arrives meanwhile joins it instead of costing every
/// member another fsync. A proposal with nothing in flight (a lone client) goes at once.
struct ProposalBatch {
    /// The longest a batch waits for the entries in flight: about a commit's round trip
    /// under load here, two fsyncs and a few messages.
    static let hold: TimeAmount = .milliseconds(3)

    private(set) var entries: [Data] = []
    /// The request IDs of the proposals in the batch, in the order of `entries`.
    private(set) var ids: [UInt64] = []
    private var holdingSince: NIODeadline?

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }

    mutating func add(_ entry: Data, id: UInt64) {
        entries.append(entry)
        ids.append(id)
    }

    /// What to do with the batch now.
    enum Decision: Equatable {
        case propose
        /// Wait; `started` says the hold began now (and needs a timer to end it).
        case hold(started: Bool)
    }

    mutating func decide(inFlight: Bool, now: NIODeadline) -> Decision {
        guard inFlight, !isEmpty else { return .propose }
        guard let since = holdingSince else {
            holdingSince = now
            return .hold(started: true)
        }
        return now - since < Self.hold ? .hold(started: false) : .propose
    }

    /// Empties the batch, ending any hold.
    mutating func take() -> (ids: [UInt64], entries: [Data]) {
        defer { self = ProposalBatch() }
        return (ids, entries)
    }
}
