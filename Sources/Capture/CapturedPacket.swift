/// When a packet was captured: seconds and nanoseconds since the Unix epoch.
public struct CaptureTimestamp: Hashable, Comparable, Sendable {
    public var seconds: UInt64
    public var nanoseconds: UInt32

    public init(seconds: UInt64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// The time as tshark's `frame.time_epoch` prints it (nine decimals), parsed as a double,
    /// exactly as a reader of tshark's text gets it.
    public var epoch: Double {
        let fraction = String(nanoseconds)
        return Double("\(seconds).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)") ?? 0
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}

/// One captured frame: its time, its link-layer type (a pcap LINKTYPE_ value) and the bytes
/// captured, starting with the link-layer header.
public struct CapturedPacket: Sendable {
    public var timestamp: CaptureTimestamp
    public var linkType: UInt32
    public var data: [UInt8]

    public init(timestamp: CaptureTimestamp, linkType: UInt32, data: [UInt8]) {
        self.timestamp = timestamp
        self.linkType = linkType
        self.data = data
    }
}
