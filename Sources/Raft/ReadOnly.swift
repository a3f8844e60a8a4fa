import Foundation
import Wire

/// Read-index requests waiting for a heartbeat quorum to confirm the leader still
/// leads (etcd's readOnly), keyed by the request context, in arrival order.
struct ReadOnly {
    struct Pending {
        /// The commit index when the request arrived: the read index.
        let index: UInt64
        let request: Message
        var acks: Set<UInt64> = []
    }

    let option: ReadOnlyOption
    private var pending: [[UInt8]: Pending] = [:]
    private var queue: [[UInt8]] = []

    init(option: ReadOnlyOption) { self.option = option }

    mutating func add(index: UInt64, request: Message) {
        let context = request.entries[0].bytes
        if pending[context] != nil { return }
        pending[context] = Pending(index: index, request: request)
        queue.append(context)
    }

    /// Records `id`'s heartbeat ack for `context`; the acks so far, nil if unknown.
    mutating func receiveAck(from id: UInt64, context: [UInt8]) -> Set<UInt64>? {
        guard pending[context] != nil else { return nil }
        pending[context]!.acks.insert(id)
        return pending[context]!.acks
    }

    /// Removes and returns the requests up to and including `context`'s, which a quorum
    /// has now confirmed; empty if `context` is unknown.
    mutating func advance(through context: [UInt8]) -> [Pending] {
        guard let position = queue.firstIndex(of: context) else { return [] }
        let confirmed = queue[...position].map { pending.removeValue(forKey: $0)! }
        queue.removeFirst(position + 1)
        return confirmed
    }

    /// The context of the latest request, which heartbeats carry.
    var lastPendingContext: [UInt8]? { queue.last }
}

extension Entry {
    var bytes: [UInt8] { data.map { [UInt8]($0) } ?? [] }
}

extension Message {
    var contextBytes: [UInt8] { context.map { [UInt8]($0) } ?? [] }
}
