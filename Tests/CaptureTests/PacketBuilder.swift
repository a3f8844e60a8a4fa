@testable import Capture

/// Builds small captures in memory: IPv4/TCP frames on Ethernet, written as pcap or pcapng.
struct PacketBuilder {
    var packets: [(seconds: UInt32, nanos: UInt32, frame: [UInt8])] = []
    var linkType: UInt32 = 1

    /// The TCP header's flag bits.
    struct Flags: OptionSet {
        let rawValue: UInt8
        static let fin = Flags(rawValue: 0x01), syn = Flags(rawValue: 0x02), rst = Flags(rawValue: 0x04)
        static let psh = Flags(rawValue: 0x08), ack = Flags(rawValue: 0x10)
    }

    mutating func tcp(at nanos: UInt32, from: UInt16, to: UInt16, seq: UInt32, ack: UInt32 = 0, flags: Flags = [.psh, .ack], _ payload: [UInt8] = []) {
        var frame = [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
        let total = 20 + 20 + payload.count
        frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
        frame += [UInt8(from >> 8), UInt8(from & 0xFF), UInt8(to >> 8), UInt8(to & 0xFF)]
        frame += withUnsafeBytes(of: seq.bigEndian, Array.init) + withUnsafeBytes(of: ack.bigEndian, Array.init)
        frame += [0x50, flags.rawValue, 0xFF, 0xFF, 0, 0, 0, 0]
        packets.append((1_700_000_000, nanos, frame + payload))
    }

    func pcap(nanosecond: Bool) -> [UInt8] {
        var out = le32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(linkType)
        for p in packets {
            out += le32(p.seconds) + le32(nanosecond ? p.nanos : p.nanos / 1000) + le32(UInt32(p.frame.count)) + le32(UInt32(p.frame.count)) + p.frame
        }
        return out
    }

    func pcapng() -> [UInt8] {
        var out = block(0x0A0D_0D0A, le32(0x1A2B_3C4D) + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
        out += block(1, [UInt8(linkType & 0xFF), UInt8(linkType >> 8), 0, 0] + le32(65535) + [9, 0, 1, 0, 9, 0, 0, 0] + [0, 0, 0, 0])
        for p in packets {
            let units = UInt64(p.seconds) * 1_000_000_000 + UInt64(p.nanos)
            var body = le32(0) + le32(UInt32(units >> 32)) + le32(UInt32(units & 0xFFFF_FFFF))
            body += le32(UInt32(p.frame.count)) + le32(UInt32(p.frame.count)) + p.frame
            body += [UInt8](repeating: 0, count: (4 - p.frame.count % 4) % 4)
            out += block(6, body)
        }
        return out
    }

    private func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        let length = UInt32(12 + body.count)
        return le32(type) + le32(length) + body + le32(length)
    }

    private func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
}
