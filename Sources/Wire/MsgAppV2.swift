/// etcd's msgappv2 stream encoding (rafthttp `GET /raft/stream/msgapp/...`), which carries
/// MsgApp from a leader to one follower. Frames start with a type byte:
/// - 0: link heartbeat, no payload;
/// - 1: entries continuing the previous MsgApp: 8-byte count, per entry an 8-byte length and a
///   marshaled `raftpb.Entry`, then an 8-byte commit; term, log term and index are implied;
/// - 2: a whole message: 8-byte length and a marshaled `raftpb.Message`.
/// All integers are big-endian.
public enum MsgAppV2 {
    static let linkHeartbeat: UInt8 = 0
    static let appEntries: UInt8 = 1
    static let app: UInt8 = 2

    /// etcd's link heartbeat: a MsgHeartbeat with no sender or receiver.
    public static func isLinkHeartbeat(_ m: Message) -> Bool {
        m.type == .msgHeartbeat && m.from == 0 && m.to == 0
    }

    static func appendUInt64(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

/// Writes msgappv2 frames, choosing the short form (type 1) when the message continues the
/// previous one exactly as etcd's encoder does.
public struct MsgAppV2Encoder {
    private var term: UInt64 = 0
    private var index: UInt64 = 0

    public init() {}

    public mutating func encode(_ m: Message) -> [UInt8] {
        var out: [UInt8] = []
        if MsgAppV2.isLinkHeartbeat(m) {
            out.append(MsgAppV2.linkHeartbeat)
        } else if index == m.index, term == m.logTerm, m.logTerm == m.term {
            out.append(MsgAppV2.appEntries)
            MsgAppV2.appendUInt64(UInt64(m.entries.count), to: &out)
            for entry in m.entries {
                let bytes = entry.serializedBytes()
                MsgAppV2.appendUInt64(UInt64(bytes.count), to: &out)
                out.append(contentsOf: bytes)
                index += 1
            }
            MsgAppV2.appendUInt64(m.commit, to: &out)
        } else {
            out.append(MsgAppV2.app)
            let bytes = m.serializedBytes()
            MsgAppV2.appendUInt64(UInt64(bytes.count), to: &out)
            out.append(contentsOf: bytes)
            term = m.term
            index = m.entries.last?.index ?? m.index
        }
        return out
    }
}

/// An incremental msgappv2 decoder that rebuilds each message as etcd's decoder does. `local`
/// is the member that dialed the stream and `remote` the one writing it (the leader).
public struct MsgAppV2Decoder {
    public let local: UInt64
    public let remote: UInt64
    public let limit: UInt64
    private var term: UInt64 = 0
    private var index: UInt64 = 0
    private var queue = ByteQueue()

    public init(local: UInt64, remote: UInt64, limit: UInt64 = MessageStream.defaultLimit) {
        self.local = local
        self.remote = remote
        self.limit = limit
    }

    public mutating func feed<S: Sequence<UInt8>>(_ bytes: S) {
        queue.append(contentsOf: bytes)
    }

    /// The next message and the stream offset of its frame's type byte, or nil until a whole
    /// frame has arrived.
    public mutating func next() throws(WireError) -> (offset: Int, frame: [UInt8], message: Message)? {
        guard queue.count >= 1 else { return nil }
        let offset = queue.consumed
        switch queue[0] {
        case MsgAppV2.linkHeartbeat:
            queue.consume(1)
            return (offset, [MsgAppV2.linkHeartbeat], Message(type: .msgHeartbeat))
        case MsgAppV2.app:
            guard queue.count >= 9 else { return nil }
            let length = queue.bigEndianUInt64(at: 1)
            guard length <= limit else { throw .frameTooLarge(offset: offset, length: length, limit: limit) }
            guard UInt64(queue.count - 9) >= length else { return nil }
            let frameBytes = Array(queue.bytes(0..<(9 + Int(length))))
            let m: Message
            do { m = try Message(serializedBytes: frameBytes[9...]) } catch { throw error.inStream(at: offset + 9) }
            queue.consume(frameBytes.count)
            term = m.term
            index = m.entries.last?.index ?? m.index
            return (offset, frameBytes, m)
        case MsgAppV2.appEntries:
            guard let end = try appEntriesEnd(offset: offset) else { return nil }
            let frameBytes = Array(queue.bytes(0..<end))
            let count = Int(queue.bigEndianUInt64(at: 1))
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            var at = 9
            for _ in 0..<count {
                let length = Int(queue.bigEndianUInt64(at: at))
                do {
                    entries.append(try Entry(serializedBytes: frameBytes[(at + 8)..<(at + 8 + length)]))
                } catch {
                    throw error.inStream(at: offset + at + 8)
                }
                at += 8 + length
            }
            let commit = queue.bigEndianUInt64(at: at)
            let m = Message(
                type: .msgApp, to: local, from: remote, term: term, logTerm: term, index: index,
                entries: entries, commit: commit)
            index += UInt64(count)
            queue.consume(end)
            return (offset, frameBytes, m)
        case let type:
            throw .unknownFrameType(offset: offset, type: type)
        }
    }

    /// The length of the type-1 frame at the head of the queue once it is complete.
    private func appEntriesEnd(offset: Int) throws(WireError) -> Int? {
        guard queue.count >= 9 else { return nil }
        let count = queue.bigEndianUInt64(at: 1)
        guard count <= limit / 8 else { throw .frameTooLarge(offset: offset, length: count, limit: limit / 8) }
        var at = 9
        for _ in 0..<count {
            guard queue.count >= at + 8 else { return nil }
            let length = queue.bigEndianUInt64(at: at)
            guard length <= limit else { throw .frameTooLarge(offset: offset + at, length: length, limit: limit) }
            guard UInt64(queue.count - at - 8) >= length else { return nil }
            at += 8 + Int(length)
        }
        guard queue.count >= at + 8 else { return nil }
        return at + 8
    }

    /// Call when the stream has ended: throws `truncatedFrame` if it ended inside a frame.
    public func finish() throws(WireError) {
        guard queue.count > 0 else { return }
        throw .truncatedFrame(offset: queue.consumed, needed: queue.count + 1, available: queue.count)
    }
}
