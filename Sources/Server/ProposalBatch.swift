import Foundation
import NIOCore
import Wire

/// Proposals not yet handed to raft: this member's own and, on the leader, those its
/// followers forwarded. They go to raft together, as one proposal: one append, one fsync on
/// each member and one MsgApp to each follower for all of them.
///
/// While entries the leader already sent are still uncommitted, it holds the next batch
/// until they commit (at most `hold`): what arrives meanwhile joins it instead of costing
/// every member another fsync. A proposal with nothing in flight (a lone client) goes at once.
struct ProposalBatch {
    /// The longest a batch waits for the entries in flight: about a commit's round trip
    /// under load here, two fsyncs and a few messages.
    static let hold: TimeAmount = .milliseconds(3)

    private(set) var entries: [Data] = []
    /// The request IDs of this member's own proposals in the batch (a forwarded proposal's
    /// waiter is on the member that took it).
    private(set) var ids: [UInt64] = []
    private var holdingSince: NIODeadline?

    var isEmpty: Bool { entries.isEmpty }

    mutating func add(_ entry: Data, id: UInt64) {
        entries.append(entry)
        ids.append(id)
    }

    mutating func addForwarded(_ forwarded: [Data]) { entries += forwarded }

    /// The entries of a follower's MsgProp when the batch can take them (plain normal
    /// entries); nil for anything else (a conf change), which raft steps as it is.
    static func forwardedEntries(_ message: Message) -> [Data]? {
        var entries: [Data] = []
        entries.reserveCapacity(message.entries.count)
        for entry in message.entries {
            guard entry.type == .entryNormal, let data = entry.data else { return nil }
            entries.append(data)
        }
        return entries
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
