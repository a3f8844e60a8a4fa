import HTTP2
import Wire

/// The two long-lived streams a member dials on each peer.
enum StreamKind: CaseIterable {
    /// `GET /raft/stream/message/<id>`: every message type, 8-byte length + message.
    case message
    /// `GET /raft/stream/msgapp/<id>`: MsgApp only, in etcd's msgappv2 encoding.
    case msgApp

    var pathPrefix: String {
        switch self {
        case .message: PeerProtocol.streamMessagePrefix
        case .msgApp: PeerProtocol.streamMsgAppPrefix
        }
    }
}

/// One of our stream GETs on a peer, and what decodes its body.
enum StreamReader {
    case message(MessageStreamDecoder)
    case msgApp(MsgAppV2Decoder)

    /// A reader for the stream of `kind` that `remote` writes to `local`.
    init(_ kind: StreamKind, local: UInt64, remote: UInt64) {
        switch kind {
        case .message: self = .message(MessageStreamDecoder())
        case .msgApp: self = .msgApp(MsgAppV2Decoder(local: local, remote: remote))
        }
    }

    var kind: StreamKind {
        switch self {
        case .message: .message
        case .msgApp: .msgApp
        }
    }

    /// Decodes the next piece of the body, handing `deliver` every message but the link's
    /// heartbeats; returns the reader to keep. Consuming, so that the decoder's buffer is
    /// not shared with a copy: appending would copy all that is buffered, on every chunk.
    consuming func read(_ bytes: [UInt8], deliver: (Message) -> Void) throws(WireError) -> StreamReader {
        switch consume self {
        case .message(var decoder):
            decoder.feed(bytes)
            while let message = try decoder.next() {
                if !MsgAppV2.isLinkHeartbeat(message) { deliver(message) }
            }
            return .message(decoder)
        case .msgApp(var decoder):
            decoder.feed(bytes)
            while let frame = try decoder.next() {
                if !MsgAppV2.isLinkHeartbeat(frame.message) { deliver(frame.message) }
            }
            return .msgApp(decoder)
        }
    }
}

/// A stream a peer dialed to us, which we write its messages into; msgappv2 keeps
/// per-stream encoder state.
struct StreamWriter {
    let kind: StreamKind
    let connection: any HTTP2Connection
    let stream: Int32
    private var encoder = MsgAppV2Encoder()

    init(_ kind: StreamKind, on connection: any HTTP2Connection, stream: Int32) {
        self.kind = kind
        self.connection = connection
        self.stream = stream
    }

    /// Bytes queued on the stream that the connection has not taken yet.
    var pendingBytes: Int { connection.session.pendingBytes(stream: stream) }

    /// Queues `message` in this stream's encoding; answers the bytes queued.
    mutating func send(_ message: Message) throws(HTTP2Error) -> Int {
        let frame = kind == .msgApp ? encoder.encode(message) : MessageStream.frame(message)
        try connection.session.send(stream: stream, frame)
        return frame.count
    }
}
