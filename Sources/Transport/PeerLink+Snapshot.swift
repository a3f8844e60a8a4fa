import Wire

/// A snapshot being sent to the peer: the source of its state-machine bytes, and the
/// `POST /raft/snapshot` stream and connection they go out on.
struct OutgoingSnapshot {
    let source: SnapshotSource
    let stream: Int32
    let connection: any HTTP2Connection
}

/// Snapshots to the peer: the MsgSnap in its frame, then the state machine's bytes a window
/// at a time as the connection takes them. The answer (204) decides the report, made once
/// the stream closes.
extension PeerLink {
    /// Opens the POST with the MsgSnap's frame; nil when there is no connection or it failed,
    /// which the delegate has heard.
    func startSnapshot(_ message: Message, source: SnapshotSource) -> OutgoingSnapshot? {
        guard let connection else {
            source.close()
            delegate?.transport(peerUnreachable: id)
            delegate?.transport(snapshotSentTo: id, succeeded: false)
            return nil
        }
        let headers = PeerProtocol.requestHeaders(method: "POST", path: PeerProtocol.snapshot, authority: authority, from: local)
        do {
            let stream = try connection.session.request(headers, endStream: false)
            try connection.session.send(stream: stream, MessageStream.frame(message))
            snapshots[stream] = false
            return OutgoingSnapshot(source: source, stream: stream, connection: connection)
        } catch {
            source.close()
            delegate?.transport(snapshotSentTo: id, succeeded: false)
            return nil
        }
    }

    /// Feeds the snapshot's bytes into its stream while less than a window is queued. True
    /// when bytes remain: pump again once the connection has taken some.
    func pump(_ snapshot: OutgoingSnapshot) -> Bool {
        let (source, stream, connection) = (snapshot.source, snapshot.stream, snapshot.connection)
        guard self.connection === connection, snapshots[stream] != nil else {
            source.close()
            return false
        }
        do {
            while connection.session.pendingBytes(stream: stream) < snapshotWindow {
                let chunk = try source.read(256 << 10)
                if chunk.isEmpty {
                    source.close()
                    try connection.session.send(stream: stream, [], endStream: true)
                    connection.flush()
                    return false
                }
                try connection.session.send(stream: stream, chunk)
                stats.sentBytes += chunk.count
            }
        } catch {
            source.close()
            connection.session.reset(stream: stream)
            connection.flush()
            return false
        }
        connection.flush()
        return true
    }
}
