import HTTP2
import Wire

/// The peer port on one connection that a peer (or a tool) opened here, without I/O: it
/// takes that connection's events and answers on its session. Raft's endpoints admit by
/// cluster ID and membership; a pipeline POST is delivered whole, a snapshot POST streams
/// into the delegate's sink, and a stream GET becomes the writer of its peer's link.
final class PeerServer {
    private let local: LocalMember
    private let peers: PeerRegistry
    private weak var delegate: (any TransportDelegate)?
    /// Request bodies being received, by stream.
    private var requests: [Int32: (headers: [HTTP2Header], body: [UInt8])] = [:]
    /// Snapshot bodies being received, handed to their sinks as they arrive.
    private var snapshots: [Int32: SnapshotReceiver] = [:]

    init(local: LocalMember, peers: PeerRegistry, delegate: (any TransportDelegate)?) {
        self.local = local
        self.peers = peers
        self.delegate = delegate
    }

    /// Takes an event of the connection this server answers on.
    func receive(_ event: HTTP2Event, on connection: any HTTP2Connection) {
        switch event {
        case .headers(let stream, let headers, let endStream):
            if headers[":method"] == "POST", headers[":path"] == PeerProtocol.snapshot, !endStream {
                if admit(headers, stream, on: connection) { snapshots[stream] = SnapshotReceiver() }
                return
            }
            requests[stream] = (headers, [])
            if endStream { serve(stream, on: connection) }
        case .data(let stream, let bytes):
            connection.session.consume(stream: stream, count: bytes.count)
            if snapshots[stream] != nil {
                receiveSnapshot(bytes, stream, on: connection)
            } else {
                requests[stream]?.body += bytes
            }
        case .endStream(let stream):
            if let receiver = snapshots.removeValue(forKey: stream) {
                finishSnapshot(receiver, stream, on: connection)
            } else {
                serve(stream, on: connection)
            }
        case .connectionClosed:
            requests = [:]
            for var receiver in snapshots.values { receiver.abandon() }
            snapshots = [:]
            peers.detachWriters(on: connection)
        case .streamClosed(let stream, _):
            requests[stream] = nil
            if var receiver = snapshots.removeValue(forKey: stream) { receiver.abandon() }
            peers.detachWriters(on: connection, stream: stream)
        default:
            break
        }
    }

    /// Raft's endpoints check the cluster ID (412, nothing delivered) and refuse removed
    /// members (410 for streams, 403 otherwise); the member list, promotion and probes answer
    /// anyone, as etcd's do. False when the request was answered with a refusal.
    private func admit(_ headers: [HTTP2Header], _ stream: Int32, on connection: any HTTP2Connection) -> Bool {
        let path = headers[":path"] ?? ""
        if headers["x-etcd-cluster-id"] != PeerProtocol.id(local.clusterID) {
            delegate?.transport(observed: .clusterIDMismatch(
                remoteClusterID: headers["x-etcd-cluster-id"] ?? "", from: headers["x-server-from"] ?? "", path: path))
            respond(stream, on: connection, .preconditionFailed, "etcdserver: cluster ID mismatch\n")
            return false
        }
        if let from = PeerProtocol.sender(of: headers, path: path), peers.removedIDs.contains(from) {
            if headers[":method"] == "GET" {
                respond(stream, on: connection, .gone, "removed member\n")
            } else {
                respond(stream, on: connection, .forbidden, "cannot process message from removed member\n")
            }
            return false
        }
        return true
    }

    /// A request is complete (a snapshot POST's body aside): its endpoint answers.
    private func serve(_ stream: Int32, on connection: any HTTP2Connection) {
        guard let request = requests.removeValue(forKey: stream) else { return }
        let headers = request.headers
        let path = headers[":path"] ?? ""
        let method = headers[":method"] ?? ""
        if path == PeerProtocol.version && method == "GET" {
            respond(stream, on: connection, .ok, "{\"etcdserver\":\"\(PeerProtocol.serverVersion)\",\"etcdcluster\":\"3.4.0\"}")
            return
        }
        if path == PeerProtocol.probing && method == "GET" {
            respond(stream, on: connection, .ok, "{\"health\":\"true\"}")
            return
        }
        if path.hasPrefix(PeerProtocol.pipeline), !admit(headers, stream, on: connection) { return }
        if method == "GET", let kind = StreamKind.allCases.first(where: { path.hasPrefix($0.pathPrefix) }) {
            acceptStream(kind, from: path.dropFirst(kind.pathPrefix.count), headers, stream, on: connection)
            return
        }
        switch (method, path) {
        case ("GET", PeerProtocol.members):
            if let members = delegate?.transportMembers() {
                respond(stream, on: connection, .ok, members, contentType: "application/json")
            } else {
                respond(stream, on: connection, .notFound, "404 page not found\n")
            }
        case ("POST", _) where path.hasPrefix(PeerProtocol.promotePrefix):
            guard let id = UInt64(path.dropFirst(PeerProtocol.promotePrefix.count)), let delegate else {
                respond(stream, on: connection, .badRequest, "invalid member id\n")
                return
            }
            let (status, body) = delegate.transport(promote: id)
            respond(stream, on: connection, status, body, contentType: "application/json")
        case ("POST", PeerProtocol.pipeline):
            guard let message = try? Message(serializedBytes: request.body) else {
                respond(stream, on: connection, .badRequest, "error unmarshalling raft message\n")
                return
            }
            respond(stream, on: connection, .noContent)
            if let from = headers["x-server-from"].flatMap({ PeerProtocol.parseID($0[...]) }) {
                peers[from]?.stats.receivedBytes += request.body.count
            }
            delegate?.transport(received: message)
        case ("POST", PeerProtocol.snapshot):
            respond(stream, on: connection, .badRequest, "error reading raft message: empty body\n")
        default:
            respond(stream, on: connection, .notFound, "404 page not found\n")
        }
    }

    /// A peer dials its stream of `kind`: answered 200 with a body that stays open, into
    /// which its link writes.
    private func acceptStream(
        _ kind: StreamKind, from sender: Substring, _ headers: [HTTP2Header], _ stream: Int32, on connection: any HTTP2Connection
    ) {
        guard headers["x-raft-to"] == PeerProtocol.id(local.id) else {
            respond(stream, on: connection, .preconditionFailed, "to field mismatch\n")
            return
        }
        guard let from = PeerProtocol.parseID(sender), let link = peers[from] else {
            respond(stream, on: connection, .notFound, "error sender not found\n")
            return
        }
        try? connection.session.respond(
            stream: stream, PeerProtocol.responseHeaders(status: .ok, clusterID: local.clusterID), endStream: false)
        link.attach(StreamWriter(kind, on: connection, stream: stream))
    }

    /// The next piece of a snapshot body goes to its sink; a failure answers 400.
    private func receiveSnapshot(_ bytes: [UInt8], _ stream: Int32, on connection: any HTTP2Connection) {
        do throws(SnapshotReceiver.Failure) {
            try snapshots[stream]?.feed(bytes) { message in
                guard let delegate else { throw SnapshotReceiver.Failure.disk("the member is stopping") }
                return try delegate.transport(snapshotSinkFor: message)
            }
        } catch {
            snapshots[stream]?.abandon()
            snapshots[stream] = nil
            respond(stream, on: connection, .badRequest, "\(error)\n")
        }
    }

    /// A snapshot body is complete: its sink made its bytes durable; raft gets the message.
    private func finishSnapshot(_ receiver: consuming SnapshotReceiver, _ stream: Int32, on connection: any HTTP2Connection) {
        do throws(SnapshotReceiver.Failure) {
            let message = try receiver.finish()
            respond(stream, on: connection, .noContent)
            peers[message.from]?.stats.receivedBytes += receiver.received
            delegate?.transport(receivedSnapshot: message)
        } catch {
            receiver.abandon()
            respond(stream, on: connection, .badRequest, "\(error)\n")
        }
    }

    private func respond(
        _ stream: Int32, on connection: any HTTP2Connection, _ status: HTTPStatus, _ body: String? = nil, contentType: String = "text/plain"
    ) {
        let headers = PeerProtocol.responseHeaders(status: status, clusterID: local.clusterID, contentType: body == nil ? nil : contentType)
        try? connection.session.respond(stream: stream, headers, endStream: body == nil)
        if let body { try? connection.session.send(stream: stream, Array(body.utf8), endStream: true) }
    }
}
