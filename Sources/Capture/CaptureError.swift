/// Why a capture file could not be read: what was wrong and at which byte of the file.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first bytes are neither a pcap nor a pcapng header.
    case unknownFormat(magic: UInt32)
    /// The file ended inside a header, a block or a packet record.
    case truncated(offset: Int, needed: Int, available: Int)
    /// A pcapng block whose length is too small, unaligned or differs from its trailer.
    case badBlockLength(offset: Int, length: UInt32)
    /// A pcapng packet names an interface no Interface Description Block declared.
    case unknownInterface(offset: Int, interface: UInt32)

    public var description: String {
        switch self {
        case .unknownFormat(let magic):
            "not a pcap or pcapng file (magic 0x\(String(magic, radix: 16)) at byte 0)"
        case let .truncated(offset, needed, available):
            "capture ends inside the record at byte \(offset): \(needed) bytes needed, \(available) present"
        case let .badBlockLength(offset, length):
            "pcapng block at byte \(offset) has an invalid length \(length)"
        case let .unknownInterface(offset, interface):
            "pcapng packet at byte \(offset) names undeclared interface \(interface)"
        }
    }
}
