/// Reads the packets of a classic pcap (microsecond or nanosecond) or a pcapng file, telling
/// them apart by their first four bytes.
public enum PacketCaptureFile {
    public static func packets(_ bytes: [UInt8]) throws(CaptureError) -> [CapturedPacket] {
        try ByteReader(bytes).require(0, 4, record: 0)
        let magic = ByteReader(bytes).uint32(0)
        switch magic {
        case 0x0A0D_0D0A: return try PcapngReader.packets(bytes)
        case 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1: return try PcapReader.packets(bytes)
        default: throw .unknownFormat(magic: magic)
        }
    }
}

/// Classic libpcap files: a 24-byte header, then records of a 16-byte header and the data.
enum PcapReader {
    static func packets(_ bytes: [UInt8]) throws(CaptureError) -> [CapturedPacket] {
        var reader = ByteReader(bytes)
        try reader.require(0, 24, record: 0)
        let magic = reader.uint32(0)
        reader.littleEndian = magic == 0xA1B2_C3D4 || magic == 0xA1B2_3C4D
        let nanosecond = magic == 0xA1B2_3C4D || magic == 0x4D3C_B2A1
        let linkType = reader.uint32(20) & 0x0FFF_FFFF
        var packets: [CapturedPacket] = []
        var offset = 24
        while offset < bytes.count {
            try reader.require(offset, 16, record: offset)
            let seconds = reader.uint32(offset)
            let fraction = reader.uint32(offset + 4)
            let length = Int(reader.uint32(offset + 8))
            try reader.require(offset + 16, length, record: offset)
            let nanoseconds = nanosecond ? fraction : fraction &* 1000
            packets.append(CapturedPacket(
                timestamp: CaptureTimestamp(seconds: UInt64(seconds) + UInt64(nanoseconds / 1_000_000_000), nanoseconds: nanoseconds % 1_000_000_000),
                linkType: linkType, data: Array(bytes[(offset + 16)..<(offset + 16 + length)])))
            offset += 16 + length
        }
        return packets
    }
}
