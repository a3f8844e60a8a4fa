/// pcapng files: a sequence of blocks, each `[type][total length][body][total length]`. Reads
/// Section Header Blocks (byte order), Interface Description Blocks (link type and
/// `if_tsresol`), Enhanced Packet Blocks and obsolete Packet Blocks; skips the rest.
enum PcapngReader {
    private struct Interface {
        var linkType: UInt32
        /// Timestamp units per second are 10^exponent (decimal) or 2^exponent (binary).
        var exponent: UInt8 = 6
        var binary = false
    }

    private static let sectionHeader: UInt32 = 0x0A0D_0D0A
    private static let interfaceDescription: UInt32 = 1
    private static let obsoletePacket: UInt32 = 2
    private static let enhancedPacket: UInt32 = 6

    static func packets(_ bytes: [UInt8]) throws(CaptureError) -> [CapturedPacket] {
        var reader = ByteReader(bytes)
        var interfaces: [Interface] = []
        var packets: [CapturedPacket] = []
        var offset = 0
        while offset < bytes.count {
            try reader.require(offset, 12, record: offset)
            let type = reader.uint32(offset)
            if type == sectionHeader {
                let magic = ByteReader(bytes, littleEndian: true).uint32(offset + 8)
                reader.littleEndian = magic == 0x1A2B_3C4D
                interfaces = []
            }
            let length = reader.uint32(offset + 4)
            guard length >= 12, length % 4 == 0 else { throw .badBlockLength(offset: offset, length: length) }
            try reader.require(offset, Int(length), record: offset)
            guard reader.uint32(offset + Int(length) - 4) == length else { throw .badBlockLength(offset: offset, length: length) }
            let body = (offset + 8)..<(offset + Int(length) - 4)
            switch type {
            case interfaceDescription:
                interfaces.append(try readInterface(reader, body, block: offset))
            case enhancedPacket, obsoletePacket:
                try reader.require(body.lowerBound, 20, record: offset)
                let id = type == enhancedPacket ? reader.uint32(body.lowerBound) : UInt32(reader.uint16(body.lowerBound))
                guard Int(id) < interfaces.count else { throw .unknownInterface(offset: offset, interface: id) }
                let interface = interfaces[Int(id)]
                let units = UInt64(reader.uint32(body.lowerBound + 4)) << 32 | UInt64(reader.uint32(body.lowerBound + 8))
                let captured = Int(reader.uint32(body.lowerBound + 12))
                let start = body.lowerBound + 20
                guard captured <= body.upperBound - start else {
                    throw .truncated(offset: offset, needed: start - offset + captured, available: body.upperBound - offset)
                }
                packets.append(CapturedPacket(
                    timestamp: timestamp(units, interface), linkType: interface.linkType,
                    data: Array(bytes[start..<(start + captured)])))
            default:
                break
            }
            offset += Int(length)
        }
        return packets
    }

    private static func readInterface(_ reader: ByteReader, _ body: Range<Int>, block: Int) throws(CaptureError) -> Interface {
        try reader.require(body.lowerBound, 8, record: block)
        var interface = Interface(linkType: UInt32(reader.uint16(body.lowerBound)))
        var at = body.lowerBound + 8
        while at + 4 <= body.upperBound {
            let code = reader.uint16(at)
            let length = Int(reader.uint16(at + 2))
            if code == 0 { break }
            guard at + 4 + length <= body.upperBound else { throw .truncated(offset: block, needed: at + 4 + length - block, available: body.upperBound - block) }
            if code == 9, length >= 1 {
                let resolution = reader.bytes[at + 4]
                interface.binary = resolution & 0x80 != 0
                interface.exponent = resolution & 0x7F
            }
            at += 4 + (length + 3) / 4 * 4
        }
        return interface
    }

    /// Converts a count of the interface's units to seconds and nanoseconds.
    private static func timestamp(_ units: UInt64, _ interface: Interface) -> CaptureTimestamp {
        if interface.binary {
            let shift = UInt64(min(interface.exponent, 63))
            let perSecond = UInt64(1) << shift
            let fraction = units & (perSecond - 1)
            let nanos = UInt32(min(999_999_999, Double(fraction) / Double(perSecond) * 1e9))
            return CaptureTimestamp(seconds: units >> shift, nanoseconds: nanos)
        }
        let exponent = Int(min(interface.exponent, 19))
        var perSecond: UInt64 = 1
        for _ in 0..<exponent { perSecond *= 10 }
        let fraction = units % perSecond
        let nanos = exponent <= 9
            ? fraction * pow10(9 - exponent)
            : fraction / pow10(exponent - 9)
        return CaptureTimestamp(seconds: units / perSecond, nanoseconds: UInt32(nanos))
    }

    private static func pow10(_ n: Int) -> UInt64 {
        var value: UInt64 = 1
        for _ in 0..<n { value *= 10 }
        return value
    }
}
