/// Bounds-checked reads of fixed-width integers from a byte array, in either byte order.
struct ByteReader {
    let bytes: [UInt8]
    var littleEndian: Bool

    init(_ bytes: [UInt8], littleEndian: Bool = true) {
        self.bytes = bytes
        self.littleEndian = littleEndian
    }

    /// Throws `truncated` unless `count` bytes are present at `offset`.
    func require(_ offset: Int, _ count: Int, record: Int) throws(CaptureError) {
        guard offset >= 0, count >= 0, offset <= bytes.count, bytes.count - offset >= count else {
            throw .truncated(offset: record, needed: offset - record + count, available: max(0, bytes.count - record))
        }
    }

    func uint16(_ offset: Int) -> UInt16 {
        let a = UInt16(bytes[offset]), b = UInt16(bytes[offset + 1])
        return littleEndian ? a | b << 8 : a << 8 | b
    }

    func uint32(_ offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 {
            let byte = UInt32(bytes[offset + i])
            value |= littleEndian ? byte << (8 * UInt32(i)) : byte << (8 * UInt32(3 - i))
        }
        return value
    }
}

extension Array where Element == UInt8 {
    /// The big-endian integer of `count` bytes at `offset` (network byte order).
    func bigEndian(_ offset: Int, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in offset..<(offset + count) { value = value << 8 | UInt64(self[i]) }
        return value
    }
}
