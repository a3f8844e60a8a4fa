import Wire

/// One raft message seen on the wire, with what ../shared/captures/README.md's
/// messages.jsonl records of it.
public struct CapturedMessage: Sendable {
    /// The raw time: `frame.time_epoch` of the segment that first carried the frame's last byte.
    public var epoch: Double
    /// Seconds since the capture's first message, rounded to the microsecond as Python's
    /// `round(raw - t0, 6)`.
    public var time: Double
    /// The TCP connection (tshark's `tcp.stream`).
    public var connection: Int
    public var channel: RaftChannel
    /// The conn file and the offset of the frame in it (stream channels only).
    public var file: String?
    public var offset: Int?
    /// The message as etcd marshals it (`hex`).
    public var bytes: [UInt8]
    /// The msgappv2 frame as sent (`wire_hex`).
    public var wireBytes: [UInt8]?
    /// The size of the bbolt db after a MsgSnap (snapshot channel only).
    public var snapshotDBBytes: Int?
    public var message: Message

    /// etcd's link heartbeat, which its stream reader drops.
    public var isLinkHeartbeat: Bool { channel.isStream && MsgAppV2.isLinkHeartbeat(message) }

    /// etcd's DescribeMessage of the message.
    public var describe: String { message.describe }

    /// The messages.jsonl line of this message, keys sorted.
    public var jsonLine: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("channel", .string(channel.rawValue)), ("conn", .number(Double(connection))), ("describe", .string(describe)),
        ]
        if let file { fields.append(("file", .string(file))) }
        fields.append(("hex", .string(hex(bytes: bytes))))
        if isLinkHeartbeat { fields.append(("link_heartbeat", .bool(true))) }
        if let offset { fields.append(("offset", .number(Double(offset)))) }
        if let snapshotDBBytes { fields.append(("snapshot_db_bytes", .number(Double(snapshotDBBytes)))) }
        fields.append(("time", .number(time)))
        if let wireBytes { fields.append(("wire_hex", .string(hex(bytes: wireBytes)))) }
        return .object(fields)
    }
}
