import Wire

/// The messages in flight between simulated nodes, delivered in any order, and the
/// partition that decides who can reach whom.
struct SimulatedNetwork {
    private(set) var inFlight: [Message] = []
    /// The side of the partition each node is on; nodes on the same side reach each
    /// other. Empty when the network is whole.
    private var side: [UInt64: Int] = [:]

    var isEmpty: Bool { inFlight.isEmpty }
    var count: Int { inFlight.count }
    var isPartitioned: Bool { !side.isEmpty }

    mutating func send(_ messages: [Message]) { inFlight.append(contentsOf: messages) }

    /// Takes the message at `position`; the rest may come in a different order.
    mutating func take(at position: Int) -> Message {
        inFlight.swapAt(position, inFlight.count - 1)
        return inFlight.removeLast()
    }

    /// Takes every message in the order sent, for orderly delivery once faults healed.
    mutating func takeAll() -> [Message] {
        defer { inFlight = [] }
        return inFlight
    }

    func reaches(_ from: UInt64, _ to: UInt64) -> Bool {
        side.isEmpty || side[from] == side[to]
    }

    mutating func partition(_ sides: [UInt64: Int]) { side = sides }

    mutating func heal() { side = [:] }
}
