/// The last indexes of the appends sent to a follower and not yet acknowledged, oldest
/// first, at most `capacity` of them (flow control while replicating). A ring buffer
/// that grows as needed, since the capacity may be huge.
public struct Inflights: Sendable {
    public let capacity: Int
    private var buffer: [UInt64] = []
    private var start = 0
    public private(set) var count = 0

    public init(capacity: Int) { self.capacity = capacity }

    public var isFull: Bool { count == capacity }

    /// Records an append whose last entry is `index`.
    mutating func add(_ index: UInt64) {
        precondition(!isFull, "cannot add into a Full inflights")
        var next = start + count
        if next >= capacity { next -= capacity }
        if next >= buffer.count { grow() }
        buffer[next] = index
        count += 1
    }

    private mutating func grow() {
        var newSize = buffer.count * 2
        if newSize == 0 { newSize = 1 } else if newSize > capacity { newSize = capacity }
        buffer.append(contentsOf: repeatElement(0, count: newSize - buffer.count))
    }

    /// Frees the appends whose last index is at most `index`.
    mutating func free(upTo index: UInt64) {
        guard count > 0, index >= buffer[start] else { return }
        var position = start
        var freed = 0
        while freed < count {
            if index < buffer[position] { break }
            position += 1
            if position >= capacity { position -= capacity }
            freed += 1
        }
        count -= freed
        start = count == 0 ? 0 : position
    }

    mutating func freeFirst() {
        if count > 0 { free(upTo: buffer[start]) }
    }

    mutating func reset() {
        count = 0
        start = 0
    }
}
