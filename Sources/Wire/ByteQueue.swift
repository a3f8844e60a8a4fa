/// Bytes received but not yet consumed by an incremental decoder. Reading never copies until
/// a frame is complete; consumed space is reclaimed once it is at least half of the buffer.
struct ByteQueue {
    private(set) var storage: [UInt8] = []
    private(set) var head = 0
    /// Bytes consumed since the stream began: the offset of `head` in the stream.
    private(set) var consumed = 0

    var count: Int { storage.count - head }

    mutating func append<S: Sequence<UInt8>>(contentsOf bytes: S) {
        storage.append(contentsOf: bytes)
    }

    subscript(offset: Int) -> UInt8 { storage[head + offset] }

    func bigEndianUInt64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(storage[head + offset + i]) }
        return value
    }

    func bytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        storage[(head + range.lowerBound)..<(head + range.upperBound)]
    }

    mutating func consume(_ n: Int) {
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
