/// rafthttp's message stream (`GET /raft/stream/message/...`): each frame is an 8-byte
/// big-endian length followed by a marshaled `raftpb.Message`.
public enum MessageStream {
    /// etcd's limit on one frame (512 MiB); a longer frame is refused before its body is read.
    public static let defaultLimit: UInt64 = 512 * 1024 * 1024

    /// The frame of one message.
    public static func frame(_ message: Message) -> [UInt8] {
        frame(payload: message.serializedBytes())
    }

    public static func frame(payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 + payload.count)
        let length = UInt64(payload.count)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        out.append(contentsOf: payload)
        return out
    }
}

/// An incremental decoder of a message stream: feed it chunks of any size as they arrive and
/// take complete frames out; it waits on partial frames.
public struct MessageStreamDecoder {
    public let limit: UInt64
    private var queue = ByteQueue()

    public init(limit: UInt64 = MessageStream.defaultLimit) {
        self.limit = limit
    }

    public mutating func feed<S: Sequence<UInt8>>(_ bytes: S) {
        queue.append(contentsOf: bytes)
    }

    /// The next frame's payload (the marshaled message) and the stream offset where the frame
    /// began; nil until a whole frame has arrived. Throws `frameTooLarge` as soon as a length
    /// over the limit is read.
    public mutating func nextFrame() throws(WireError) -> (offset: Int, payload: [UInt8])? {
        guard let length = try completeFrameLength() else { return nil }
        let offset = queue.consumed
        let payload = Array(queue.bytes(8..<(8 + length)))
        queue.consume(8 + length)
        return (offset, payload)
    }

    /// The next whole message, decoded straight from the buffer.
    public mutating func next() throws(WireError) -> Message? {
        guard let length = try completeFrameLength() else { return nil }
        let message: Message
        do {
            message = try Message(serializedBytes: queue.bytes(8..<(8 + length)))
        } catch {
            throw error.inStream(at: queue.consumed + 8)
        }
        queue.consume(8 + length)
        return message
    }

    /// The payload length of the frame at the head once all of it has arrived.
    private func completeFrameLength() throws(WireError) -> Int? {
        guard queue.count >= 8 else { return nil }
        let length = queue.bigEndianUInt64(at: 0)
        guard length <= limit else {
            throw .frameTooLarge(offset: queue.consumed, length: length, limit: limit)
        }
        guard UInt64(queue.count - 8) >= length else { return nil }
        return Int(length)
    }

    /// Takes the bytes buffered after the frames read so far, for a body whose frame is
    /// followed by bytes of another kind (a snapshot's database after its MsgSnap).
    public mutating func takeBuffered() -> [UInt8] {
        let rest = Array(queue.bytes(0..<queue.count))
        queue.consume(queue.count)
        return rest
    }

    /// Call when the stream has ended: throws `truncatedFrame` if it ended inside a frame.
    public func finish() throws(WireError) {
        guard queue.count > 0 else { return }
        let needed = queue.count >= 8 ? 8 + Int(queue.bigEndianUInt64(at: 0)) : 8
        throw .truncatedFrame(offset: queue.consumed, needed: needed, available: queue.count)
    }
}
