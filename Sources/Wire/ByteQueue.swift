/// Bytes received but not yet consumed by an incremental decoder. Reading never copies until
/// a frame is complete; consumed space is reclaimed once it is at least half of the buffer.
public struct ByteQueue: Sendable {
    private var storage: [UInt8] = []
    private var head = 0
    /// Bytes consumed since the stream began: the offset of `head` in the stream.
    public private(set) var consumed = 0

    public init() {}

    /// Bytes received and not yet consumed.
    public var count: Int { storage.count - head }

    public mutating func append<S: Sequence<UInt8>>(contentsOf bytes: S) {
        storage.append(contentsOf: bytes)
    }

    /// The byte `offset` bytes past the first unconsumed one.
    public subscript(offset: Int) -> UInt8 { storage[head + offset] }

    public func bigEndianUInt64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(storage[head + offset + i]) }
        return value
    }

    /// Unconsumed bytes, `range` counted from the first unconsumed one.
    public func bytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        storage[(head + range.lowerBound)..<(head + range.upperBound)]
    }

    /// Drops the first `n` unconsumed bytes.
    public mutating func consume(_ n: Int) {
        head += n
        consumed += n
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096, head * 2 >= storage.count {
            storage.removeSubrange(0..<head)
            head = 0
        }
    }
}
