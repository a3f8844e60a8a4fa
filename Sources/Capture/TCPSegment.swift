/// One endpoint of a TCP connection: an IPv4 or IPv6 address and a port.
public struct TCPEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: [UInt8]
    public var port: UInt16

    public var description: String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") + ":\(port)" }
        var groups: [String] = []
        for i in stride(from: 0, to: address.count, by: 2) {
            groups.append(String(UInt16(address[i]) << 8 | UInt16(address[i + 1]), radix: 16))
        }
        return "[" + groups.joined(separator: ":") + "]:\(port)"
    }
}

/// A TCP segment read out of a captured frame.
struct TCPSegment {
    var time: CaptureTimestamp
    var source: TCPEndpoint
    var destination: TCPEndpoint
    var sequence: UInt32
    var acknowledgment: UInt32
    var syn: Bool
    var ack: Bool
    var payload: ArraySlice<UInt8>

    /// The TCP segment in `packet`, or nil when the frame is not TCP over IP (or is cut short):
    /// frames that are not TCP are simply not part of any connection.
    init?(_ packet: CapturedPacket) {
        let data = packet.data
        guard let (network, ipOffset) = Self.networkLayer(packet.linkType, data) else { return nil }
        var source: [UInt8], destination: [UInt8], tcpOffset: Int, end: Int
        switch network {
        case 4:
            guard data.count >= ipOffset + 20, data[ipOffset] >> 4 == 4, data[ipOffset + 9] == 6 else { return nil }
            let headerLength = Int(data[ipOffset] & 0x0F) * 4
            let total = Int(data.bigEndian(ipOffset + 2, 2))
            guard headerLength >= 20, data.bigEndian(ipOffset + 6, 2) & 0x1FFF == 0 else { return nil }
            source = Array(data[(ipOffset + 12)..<(ipOffset + 16)])
            destination = Array(data[(ipOffset + 16)..<(ipOffset + 20)])
            tcpOffset = ipOffset + headerLength
            end = min(data.count, total == 0 ? data.count : ipOffset + total)
        case 6:
            guard data.count >= ipOffset + 40, data[ipOffset] >> 4 == 6, data[ipOffset + 6] == 6 else { return nil }
            source = Array(data[(ipOffset + 8)..<(ipOffset + 24)])
            destination = Array(data[(ipOffset + 24)..<(ipOffset + 40)])
            tcpOffset = ipOffset + 40
            end = min(data.count, tcpOffset + Int(data.bigEndian(ipOffset + 4, 2)))
        default:
            return nil
        }
        guard end >= tcpOffset + 20 else { return nil }
        let dataOffset = Int(data[tcpOffset + 12] >> 4) * 4
        guard dataOffset >= 20, tcpOffset + dataOffset <= end else { return nil }
        let flags = data[tcpOffset + 13]
        self.time = packet.timestamp
        self.source = TCPEndpoint(address: source, port: UInt16(data.bigEndian(tcpOffset, 2)))
        self.destination = TCPEndpoint(address: destination, port: UInt16(data.bigEndian(tcpOffset + 2, 2)))
        self.sequence = UInt32(data.bigEndian(tcpOffset + 4, 4))
        self.acknowledgment = UInt32(data.bigEndian(tcpOffset + 8, 4))
        self.syn = flags & 0x02 != 0
        self.ack = flags & 0x10 != 0
        self.payload = data[(tcpOffset + dataOffset)..<end]
    }

    /// The IP version and where its header starts, for the link types loopback captures use.
    private static func networkLayer(_ linkType: UInt32, _ data: [UInt8]) -> (Int, Int)? {
        func version(ethertype: UInt64) -> Int? {
            switch ethertype {
            case 0x0800: 4
            case 0x86DD: 6
            default: nil
            }
        }
        switch linkType {
        case 0, 108:  // BSD loopback: a 4-byte address family, host (0) or network (108) order
            guard data.count >= 4 else { return nil }
            let family = linkType == 0 && data[0] != 0 ? UInt64(data[0]) : data.bigEndian(0, 4)
            switch family {
            case 2: return (4, 4)
            case 10, 24, 28, 30: return (6, 4)
            default: return nil
            }
        case 1:  // Ethernet, with any 802.1Q tags
            var at = 12
            while data.count >= at + 2 {
                let ethertype = data.bigEndian(at, 2)
                if ethertype == 0x8100 || ethertype == 0x88A8 { at += 4; continue }
                return version(ethertype: ethertype).map { ($0, at + 2) }
            }
            return nil
        case 101, 12, 14:  // raw IP
            guard let first = data.first else { return nil }
            return (Int(first >> 4), 0)
        case 228: return (4, 0)
        case 229: return (6, 0)
        case 113:  // Linux cooked capture
            guard data.count >= 16 else { return nil }
            return version(ethertype: data.bigEndian(14, 2)).map { ($0, 16) }
        case 276:  // Linux cooked capture v2
            guard data.count >= 20 else { return nil }
            return version(ethertype: data.bigEndian(0, 2)).map { ($0, 20) }
        default:
            return nil
        }
    }
}
