import Foundation
import Wire

/// Messages to the peer: on a stream it dialed here while one is up, else by pipeline on our
/// connection, else dropped (as when its stream holds more than the send buffer limit).
extension PeerLink {
    /// Whether the peer's message stream to us is up, and since when it has been up or down.
    var status: (active: Bool, since: Date?) {
        writers[.message] != nil ? (true, stats.activeSince) : (false, stats.inactiveSince)
    }

    /// Bytes queued on the peer's streams that their connections have not taken yet.
    var queuedBytes: Int { writers.values.reduce(0) { $0 + $1.pendingBytes } }

    /// A stream the peer dialed to us was answered 200: messages to the peer go into it.
    func attach(_ writer: StreamWriter) {
        writers[writer.kind] = writer
        guard writer.kind == .message else { return }
        stats.streamUp()
        delegate?.transport(observed: .peerActive(id))
    }

    /// The peer's streams on `connection` are gone (all of them, or the one `stream`);
    /// without its message stream the peer is inactive.
    func detachWriters(on connection: any HTTP2Connection, stream: Int32? = nil) {
        for (kind, writer) in writers where writer.connection === connection && (stream == nil || writer.stream == stream) {
            writers[kind] = nil
            guard kind == .message else { continue }
            stats.streamDown()
            delegate?.transport(observed: .peerInactive(id))
        }
    }

    /// Queues `message`; answers the connection that needs a flush, if any.
    func route(_ message: Message) -> (any HTTP2Connection)? {
        if message.type != .msgSnap {
            // MsgApp prefers the msgapp stream, as etcd's leader does; all else the message stream.
            let kinds: [StreamKind] = message.type == .msgApp ? [.msgApp, .message] : [.message]
            for kind in kinds {
                guard var writer = writers[kind] else { continue }
                if writer.pendingBytes > sendBufferLimit {
                    delegate?.transport(peerUnreachable: id)
                    return nil
                }
                do {
                    stats.sentBytes += try writer.send(message)
                    writers[kind] = writer
                    return writer.connection
                } catch {
                    writers[kind] = nil
                }
            }
        }
        guard let connection else {
            delegate?.transport(peerUnreachable: id)
            return nil
        }
        let body = message.serializedBytes()
        stats.sentBytes += body.count
        let headers = PeerProtocol.requestHeaders(method: "POST", path: PeerProtocol.pipeline, authority: authority, from: local)
        do {
            let stream = try connection.session.request(headers, endStream: false)
            try connection.session.send(stream: stream, body, endStream: true)
            connection.flush()
        } catch {
            delegate?.transport(peerUnreachable: id)
        }
        return nil
    }
}
