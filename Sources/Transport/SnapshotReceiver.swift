import Wire

/// One `POST /raft/snapshot` body arriving in pieces: the MsgSnap in its 8-byte-length frame,
/// then the state machine's bytes, handed to a sink as they come (never held whole) and
/// finished once the body is complete.
struct SnapshotReceiver {
    /// The message's frame until it is whole.
    private var head = MessageStreamDecoder(limit: Self.messageLimit)
    private(set) var message: Message?
    private var sink: SnapshotSink?
    private(set) var received = 0

    /// The most a MsgSnap's own frame may be (its data is membership, not the state machine).
    static let messageLimit: UInt64 = 64 << 20

    enum Failure: Error, CustomStringConvertible {
        case badMessage(String)
        case disk(String)

        var description: String {
            switch self {
            case .badMessage(let reason): "error reading raft message: \(reason)"
            case .disk(let reason): "error saving snapshot: \(reason)"
            }
        }
    }

    /// Takes the next piece of the body; `sinkFor` gives where the bytes after the message go.
    mutating func feed(_ bytes: [UInt8], sinkFor: (Message) throws -> SnapshotSink) throws(Failure) {
        received += bytes.count
        var rest = bytes
        if message == nil {
            head.feed(bytes)
            let decoded: Message?
            do { decoded = try head.next() } catch { throw .badMessage("\(error)") }
            guard let decoded else { return }
            guard decoded.type == .msgSnap else { throw .badMessage("not a MsgSnap") }
            message = decoded
            do { sink = try sinkFor(decoded) } catch { throw .disk("\(error)") }
            rest = head.takeBuffered()
        }
        guard !rest.isEmpty, let sink else { return }
        do { try sink.write(rest) } catch { throw .disk("\(error)") }
    }

    /// The body is complete: the sink makes its bytes durable; the message to hand to raft.
    mutating func finish() throws(Failure) -> Message {
        guard let message, let sink else { throw .badMessage("body ended before the message") }
        self.sink = nil
        do { try sink.finish() } catch { throw .disk("\(error)") }
        return message
    }

    /// The body will not complete: the sink drops what it was given.
    mutating func abandon() {
        sink?.abandon()
        sink = nil
    }
}
