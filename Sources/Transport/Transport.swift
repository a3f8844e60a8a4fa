import Foundation
import HTTP2
import NIOCore
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

/// rafthttp over HTTP/2: every member holds one connection to every peer, on which it dials
/// `GET /raft/stream/message/<own id>`; the peer answers with a long-lived body into which it
/// writes the messages meant for the dialer (8-byte length + raftpb.Message). Messages go out
/// on the stream the receiver dialed; while that is down they go by pipeline (`POST /raft`,
/// one message a request) on this member's own connection. Snapshots go by
/// `POST /raft/snapshot`. All state lives on one event loop.
public final class Transport: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var localID: UInt64
        public var clusterID: UInt64
        public var peerURLs: [String]
        /// Bytes queued for one peer's stream before messages are dropped and the peer is
        /// reported unreachable, as etcd does with its bounded send buffer.
        public var sendBufferLimit = 8 << 20
        /// Longest wait between reconnection attempts.
        public var maxBackoff: TimeAmount = .seconds(1)
        /// Seconds without a PING answer after which a connection is dropped and redialed.
        public var livenessTimeout: Double = 5
        /// Snapshot bytes queued on a connection before reading more from the source.
        public var snapshotWindow = 4 << 20

        public init(localID: UInt64, clusterID: UInt64, peerURLs: [String]) {
            self.localID = localID
            self.clusterID = clusterID
            self.peerURLs = peerURLs
        }
    }

    /// One remote member as seen from here. Touched only on the transport's event loop.
    final class Peer: @unchecked Sendable {
        let id: UInt64
        var host: String
        var port: Int
        /// Our connection to the peer: our stream GETs (receiving) and our pipeline POSTs.
        var connection: HTTP2ConnectionHandler?
        /// Our stream GETs on that connection and the decoders of what arrives on them.
        var dialed: [Int32: Reader] = [:]
        /// The streams the peer dialed to us: what we write its messages into.
        var writers: [StreamKind: Writer] = [:]
        var lastPingAck = Date()
        /// Snapshot POSTs in flight, and whether each was answered with success yet.
        var snapshots: [Int32: Bool] = [:]
        var backoff: TimeAmount = .milliseconds(50)
        /// Message bytes sent to and received from the peer, over every channel.
        var sentBytes = 0
        var receivedBytes = 0
        var removed = false
        /// When the peer's stream to us last went up or down.
        var activeSince: Date?
        var inactiveSince: Date? = Date()

        init(id: UInt64, host: String, port: Int) {
            self.id = id
            self.host = host
            self.port = port
        }
    }

    /// One of our stream GETs on a peer, and what decodes its body.
    enum Reader {
        case message(MessageStreamDecoder)
        case msgApp(MsgAppV2Decoder)

        var kind: StreamKind {
            switch self {
            case .message: .message
            case .msgApp: .msgApp
            }
        }
    }

    /// A stream a peer dialed to us; msgappv2 keeps per-stream encoder state.
    struct Writer {
        let handler: HTTP2ConnectionHandler
        let stream: Int32
        var encoder = MsgAppV2Encoder()
    }

    public let configuration: Configuration
    public let eventLoop: EventLoop
    private weak var delegate: (any TransportDelegate)?
    private var peers: [UInt64: Peer] = [:]
    /// Members removed from the cluster for good: refused with 410 (streams) or 403.
    private var removedIDs: Set<UInt64> = []
    private var server: Channel?
    /// Request bodies being received on the server side, by connection and stream.
    private var bodies: [ObjectIdentifier: [Int32: (headers: [HTTP2Header], body: [UInt8])]] = [:]
    /// Snapshot bodies being received, written to disk as they arrive.
    private var snapshotBodies: [ObjectIdentifier: [Int32: SnapshotReceiver]] = [:]
    private var stopped = false

    public init(configuration: Configuration, eventLoop: EventLoop, delegate: any TransportDelegate) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.delegate = delegate
    }

    /// Listens on the peer port; returns the bound port (0 asks for any).
    public func start(host: String, port: Int) -> EventLoopFuture<Int> {
        Sockets.listen(on: eventLoop, host: host, port: port) { [self] channel in
            try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionHandler(
                role: .server,
                onError: { [weak self] handler, error in
                    // One log line for bad input; the connection closes, others go on.
                    let remote = handler.channel?.remoteAddress.map { "\($0)" } ?? "unknown"
                    self?.delegate?.transport(observed: .badPeerConnection(remote: remote, reason: "\(error)"))
                },
                onEvent: { [weak self] handler, event in self?.serverEvent(handler, event) }))
        }
        .map { [self] channel in
            server = channel
            checkLiveness()
            return channel.localAddress?.port ?? port
        }
    }

    /// Adds a peer and starts connecting to it.
    public func addPeer(id: UInt64, host: String, port: Int) {
        eventLoop.execute { [self] in
            guard peers[id] == nil else { return }
            let peer = Peer(id: id, host: host, port: port)
            peers[id] = peer
            connect(peer)
        }
    }

    /// Removes a peer and closes what it had open.
    public func removePeer(id: UInt64) {
        eventLoop.execute { [self] in
            guard let peer = peers.removeValue(forKey: id) else { return }
            peer.removed = true
            peer.connection?.shutdown()
            for writer in peer.writers.values {
                writer.handler.session.reset(stream: writer.stream)
                writer.handler.flush()
            }
        }
    }

    /// Drops a member removed from the cluster and refuses it from now on, as etcd does.
    public func markRemoved(id: UInt64) {
        eventLoop.execute { [self] in removedIDs.insert(id) }
        removePeer(id: id)
    }

    /// Whether the peer's stream to us is up, and since when it has been up or down.
    public func peerStatus(id: UInt64) -> EventLoopFuture<(active: Bool, since: Date?)> {
        eventLoop.submit { [self] in
            guard let peer = peers[id] else { return (false, nil) }
            return peer.writers[.message] != nil ? (true, peer.activeSince) : (false, peer.inactiveSince)
        }
    }

    /// Message bytes sent to and received from each peer so far (etcd's peer byte counters).
    public func peerByteCounts() -> EventLoopFuture<[UInt64: (sent: Int, received: Int)]> {
        eventLoop.submit { [self] in peers.mapValues { ($0.sentBytes, $0.receivedBytes) } }
    }

    /// Bytes queued for a peer on the streams it dialed, not yet taken by the connection:
    /// bounded by `sendBufferLimit` (plus one message), however slowly the peer reads.
    public func queuedBytes(to id: UInt64) -> EventLoopFuture<Int> {
        eventLoop.submit { [self] in
            peers[id]?.writers.values.reduce(0) { $0 + $1.handler.session.pendingBytes(stream: $1.stream) } ?? 0
        }
    }

    /// Sends messages to their `to` peers: by stream when it is up, else by pipeline. Called
    /// on the transport's own loop it writes before returning (a raft loop sharing the loop
    /// gets its messages out before its fsync, not after).
    public func send(_ messages: [Message]) {
        guard eventLoop.inEventLoop else { return eventLoop.execute { [self] in send(messages) } }
        var touched: [ObjectIdentifier: HTTP2ConnectionHandler] = [:]
        for message in messages {
            if let handler = route(message) { touched[ObjectIdentifier(handler)] = handler }
        }
        // One write per connection for the whole batch.
        for handler in touched.values { handler.flush() }
    }

    /// Sends a MsgSnap followed by the state machine's bytes from `source`, a window at a
    /// time as the connection takes them; the delegate hears how it ended.
    public func sendSnapshot(_ message: Message, source: SnapshotSource) {
        eventLoop.execute { [self] in
            guard let peer = peers[message.to], let connection = peer.connection else {
                source.close()
                delegate?.transport(peerUnreachable: message.to)
                delegate?.transport(snapshotSentTo: message.to, succeeded: false)
                return
            }
            let headers = PeerProtocol.requestHeaders(
                method: "POST", path: PeerProtocol.snapshot, authority: "\(peer.host):\(peer.port)", localID: configuration.localID,
                clusterID: configuration.clusterID, peerURLs: configuration.peerURLs)
            do {
                let stream = try connection.session.request(headers, endStream: false)
                try connection.session.send(stream: stream, MessageStream.frame(message))
                peer.snapshots[stream] = false
                pumpSnapshot(source, stream: stream, peer: peer, connection: connection)
            } catch {
                source.close()
                delegate?.transport(snapshotSentTo: peer.id, succeeded: false)
            }
        }
    }

    /// Feeds the snapshot's bytes into its stream while less than a window is queued; looks
    /// again shortly after the connection has taken some.
    private func pumpSnapshot(_ source: SnapshotSource, stream: Int32, peer: Peer, connection: HTTP2ConnectionHandler) {
        guard peer.connection === connection, peer.snapshots[stream] != nil, !stopped else {
            source.close()
            return
        }
        do {
            while connection.session.pendingBytes(stream: stream) < configuration.snapshotWindow {
                let chunk = try source.read(256 << 10)
                if chunk.isEmpty {
                    source.close()
                    try connection.session.send(stream: stream, [], endStream: true)
                    connection.flush()
                    return
                }
                try connection.session.send(stream: stream, chunk)
                peer.sentBytes += chunk.count
            }
        } catch {
            source.close()
            connection.session.reset(stream: stream)
            connection.flush()
            return
        }
        connection.flush()
        eventLoop.scheduleTask(in: .milliseconds(2)) { [self] in
            pumpSnapshot(source, stream: stream, peer: peer, connection: connection)
        }
    }

    public func stop() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            stopped = true
            for peer in peers.values {
                peer.removed = true
                peer.connection?.shutdown()
            }
            peers = [:]
            return server?.close() ?? eventLoop.makeSucceededVoidFuture()
        }
    }

    // MARK: Sending

    /// Queues one message; returns the connection that needs a flush, if any.
    private func route(_ message: Message) -> HTTP2ConnectionHandler? {
        guard let peer = peers[message.to] else {
            delegate?.transport(peerUnreachable: message.to)
            return nil
        }
        if message.type != .msgSnap {
            // MsgApp prefers the msgapp stream, as etcd's leader does; all else the message stream.
            let kinds: [StreamKind] = message.type == .msgApp ? [.msgApp, .message] : [.message]
            for kind in kinds {
                guard var writer = peer.writers[kind] else { continue }
                if writer.handler.session.pendingBytes(stream: writer.stream) > configuration.sendBufferLimit {
                    drop(message)
                    return nil
                }
                let frame = kind == .msgApp ? writer.encoder.encode(message) : MessageStream.frame(message)
                do {
                    try writer.handler.session.send(stream: writer.stream, frame)
                    peer.sentBytes += frame.count
                    peer.writers[kind] = writer
                    return writer.handler
                } catch {
                    peer.writers[kind] = nil
                }
            }
        }
        guard let connection = peer.connection else {
            drop(message)
            return nil
        }
        let body = message.serializedBytes()
        peer.sentBytes += body.count
        post(PeerProtocol.pipeline, body: body, to: peer, on: connection)
        return nil
    }

    private func drop(_ message: Message) {
        delegate?.transport(peerUnreachable: message.to)
    }

    @discardableResult
    private func post(_ path: String, body: [UInt8], to peer: Peer, on connection: HTTP2ConnectionHandler) -> Int32? {
        let headers = PeerProtocol.requestHeaders(
            method: "POST", path: path, authority: "\(peer.host):\(peer.port)", localID: configuration.localID,
            clusterID: configuration.clusterID, peerURLs: configuration.peerURLs)
        do {
            let stream = try connection.session.request(headers, endStream: false)
            try connection.session.send(stream: stream, body, endStream: true)
            connection.flush()
            return stream
        } catch {
            delegate?.transport(peerUnreachable: peer.id)
            return nil
        }
    }

    // MARK: Our connection to a peer

    private func connect(_ peer: Peer) {
        guard !peer.removed, !stopped else { return }
        Sockets.connect(on: eventLoop, host: peer.host, port: peer.port) { [self] channel in
            try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionHandler(role: .client) { [weak self] handler, event in
                self?.clientEvent(peer, handler, event)
            })
        }
        .whenComplete { [self] result in
            switch result {
            case .success(let channel):
                guard let handler = try? channel.pipeline.syncOperations.handler(type: HTTP2ConnectionHandler.self) else { return }
                peer.connection = handler
                peer.backoff = .milliseconds(50)
                peer.lastPingAck = Date()
                for kind in StreamKind.allCases { dialStream(kind, peer, handler) }
                channel.closeFuture.whenComplete { [self] _ in
                    if peer.connection === handler {
                        peer.connection = nil
                        peer.dialed = [:]
                        for (_, succeeded) in peer.snapshots { delegate?.transport(snapshotSentTo: peer.id, succeeded: succeeded) }
                        peer.snapshots = [:]
                    }
                    scheduleReconnect(peer)
                }
            case .failure:
                scheduleReconnect(peer)
            }
        }
    }

    private func scheduleReconnect(_ peer: Peer) {
        guard !peer.removed, !stopped else { return }
        let delay = peer.backoff
        peer.backoff = min(peer.backoff * 2, configuration.maxBackoff)
        eventLoop.scheduleTask(in: delay) { [self] in
            if peer.connection == nil { connect(peer) }
        }
    }

    private func dialStream(_ kind: StreamKind, _ peer: Peer, _ handler: HTTP2ConnectionHandler) {
        let headers = PeerProtocol.requestHeaders(
            method: "GET", path: kind.pathPrefix + PeerProtocol.id(configuration.localID),
            authority: "\(peer.host):\(peer.port)", localID: configuration.localID, clusterID: configuration.clusterID,
            peerURLs: configuration.peerURLs, to: peer.id)
        guard let stream = try? handler.session.request(headers, endStream: true) else { return }
        peer.dialed[stream] = switch kind {
        case .message: .message(MessageStreamDecoder())
        case .msgApp: .msgApp(MsgAppV2Decoder(local: configuration.localID, remote: peer.id))
        }
        handler.flush()
    }

    /// Dials `kind` again after the backoff, unless the connection changed meanwhile.
    private func redial(_ kind: StreamKind, _ peer: Peer, _ handler: HTTP2ConnectionHandler) {
        eventLoop.scheduleTask(in: peer.backoff) { [self] in
            guard peer.connection === handler, !peer.dialed.values.contains(where: { $0.kind == kind }) else { return }
            dialStream(kind, peer, handler)
        }
    }

    private func clientEvent(_ peer: Peer, _ handler: HTTP2ConnectionHandler, _ event: HTTP2Event) {
        switch event {
        case .data(let stream, let bytes):
            handler.session.consume(stream: stream, count: bytes.count)
            // Taken out while it reads, so that its buffer is not shared with the dictionary's
            // copy: appending would copy all that is buffered, on every chunk.
            guard let reader = peer.dialed.removeValue(forKey: stream) else { return }
            let kind = reader.kind
            do {
                try read(bytes, from: consume reader, on: stream, of: peer)
            } catch {
                delegate?.transport(observed: .badStream(from: peer.id, reason: "\(error)"))
                handler.session.reset(stream: stream)
                peer.dialed[stream] = nil
                redial(kind, peer, handler)
            }
        case .headers(let stream, let headers, _):
            if headers[":status"] == "410" || headers[":status"] == "403" {
                // A peer that knows this member was removed: nothing will change that.
                delegate?.transport(observed: .removedFromCluster)
            }
            if peer.snapshots[stream] != nil { peer.snapshots[stream] = headers[":status"] == "204" }
            if let reader = peer.dialed[stream], headers[":status"] != "200" {
                // 404 (not known there yet), 412 (another cluster), 410 (removed): retry later.
                peer.dialed[stream] = nil
                redial(reader.kind, peer, handler)
            }
        case .streamClosed(let stream, _):
            if let reader = peer.dialed.removeValue(forKey: stream) { redial(reader.kind, peer, handler) }
            if let succeeded = peer.snapshots.removeValue(forKey: stream) {
                delegate?.transport(snapshotSentTo: peer.id, succeeded: succeeded)
            }
        case .pingAck:
            peer.lastPingAck = Date()
        default:
            break
        }
    }

    private func read(_ bytes: [UInt8], from reader: consuming Reader, on stream: Int32, of peer: Peer) throws(WireError) {
        peer.receivedBytes += bytes.count
        switch consume reader {
        case .message(var decoder):
            decoder.feed(bytes)
            while let message = try decoder.next() {
                if !MsgAppV2.isLinkHeartbeat(message) { delegate?.transport(received: message) }
            }
            peer.dialed[stream] = .message(decoder)
        case .msgApp(var decoder):
            decoder.feed(bytes)
            while let frame = try decoder.next() {
                if !MsgAppV2.isLinkHeartbeat(frame.message) { delegate?.transport(received: frame.message) }
            }
            peer.dialed[stream] = .msgApp(decoder)
        }
    }

    /// PINGs every connection to a peer; one silent for `livenessTimeout` is closed and
    /// dialed again.
    private func checkLiveness() {
        guard !stopped else { return }
        for peer in peers.values {
            guard let connection = peer.connection else { continue }
            if Date().timeIntervalSince(peer.lastPingAck) > configuration.livenessTimeout {
                connection.shutdown()
                continue
            }
            connection.session.ping()
            connection.flush()
        }
        eventLoop.scheduleTask(in: .milliseconds(Int64(configuration.livenessTimeout * 1000 / 4))) { [self] in checkLiveness() }
    }

    // MARK: Serving peers

    private func serverEvent(_ handler: HTTP2ConnectionHandler, _ event: HTTP2Event) {
        let key = ObjectIdentifier(handler)
        switch event {
        case .headers(let stream, let headers, let endStream):
            if headers[":method"] == "POST", headers[":path"] == PeerProtocol.snapshot, !endStream {
                if admit(handler, stream, headers) {
                    snapshotBodies[key, default: [:]][stream] = SnapshotReceiver()
                }
                return
            }
            bodies[key, default: [:]][stream] = (headers, [])
            if endStream { serve(handler, stream) }
        case .data(let stream, let bytes):
            handler.session.consume(stream: stream, count: bytes.count)
            if snapshotBodies[key]?[stream] != nil {
                do throws(SnapshotReceiver.Failure) {
                    try snapshotBodies[key]?[stream]?.feed(bytes) { [weak self] message in
                        guard let delegate = self?.delegate else { throw SnapshotReceiver.Failure.disk("the member is stopping") }
                        return try delegate.transport(snapshotSinkFor: message)
                    }
                } catch {
                    snapshotBodies[key]?[stream]?.abandon()
                    snapshotBodies[key]?[stream] = nil
                    respond(handler, stream, 400, "\(error)\n")
                }
                return
            }
            bodies[key]?[stream]?.body += bytes
        case .endStream(let stream):
            if var receiver = snapshotBodies[key]?.removeValue(forKey: stream) {
                receiveSnapshot(&receiver, handler, stream)
                return
            }
            serve(handler, stream)
        case .connectionClosed:
            bodies[key] = nil
            for (_, var receiver) in snapshotBodies.removeValue(forKey: key) ?? [:] { receiver.abandon() }
            for peer in peers.values {
                for (kind, writer) in peer.writers where writer.handler === handler { dropWriter(kind, of: peer) }
            }
        case .streamClosed(let stream, _):
            bodies[key]?[stream] = nil
            if var receiver = snapshotBodies[key]?.removeValue(forKey: stream) { receiver.abandon() }
            for peer in peers.values {
                for (kind, writer) in peer.writers where writer.handler === handler && writer.stream == stream {
                    dropWriter(kind, of: peer)
                }
            }
        default:
            break
        }
    }

    /// A stream the peer dialed to us is gone; without the message stream the peer is inactive.
    private func dropWriter(_ kind: StreamKind, of peer: Peer) {
        peer.writers[kind] = nil
        guard kind == .message else { return }
        peer.activeSince = nil
        peer.inactiveSince = Date()
        delegate?.transport(observed: .peerInactive(peer.id))
    }

    private func respond(
        _ handler: HTTP2ConnectionHandler, _ stream: Int32, _ status: Int, _ body: String? = nil, contentType: String = "text/plain"
    ) {
        try? handler.session.respond(
            stream: stream, PeerProtocol.responseHeaders(status: status, clusterID: configuration.clusterID, contentType: body == nil ? nil : contentType),
            endStream: body == nil)
        if let body { try? handler.session.send(stream: stream, Array(body.utf8), endStream: true) }
    }

    /// Raft's endpoints check the cluster ID (412, nothing delivered) and refuse removed
    /// members (410 for streams, 403 otherwise); the member list, promotion and probes answer
    /// anyone, as etcd's do. False when the request was answered with a refusal.
    private func admit(_ handler: HTTP2ConnectionHandler, _ stream: Int32, _ headers: [HTTP2Header]) -> Bool {
        let path = headers[":path"] ?? ""
        if headers["x-etcd-cluster-id"] != PeerProtocol.id(configuration.clusterID) {
            delegate?.transport(observed: .clusterIDMismatch(
                remoteClusterID: headers["x-etcd-cluster-id"] ?? "", from: headers["x-server-from"] ?? "", path: path))
            respond(handler, stream, 412, "etcdserver: cluster ID mismatch\n")
            return false
        }
        if let from = PeerProtocol.sender(of: headers, path: path), removedIDs.contains(from) {
            if headers[":method"] == "GET" {
                respond(handler, stream, 410, "removed member\n")
            } else {
                respond(handler, stream, 403, "cannot process message from removed member\n")
            }
            return false
        }
        return true
    }

    /// A snapshot body is complete: its sink made its bytes durable; raft gets the message.
    private func receiveSnapshot(_ receiver: inout SnapshotReceiver, _ handler: HTTP2ConnectionHandler, _ stream: Int32) {
        do throws(SnapshotReceiver.Failure) {
            let message = try receiver.finish()
            respond(handler, stream, 204)
            if let peer = peers[message.from] { peer.receivedBytes += receiver.received }
            delegate?.transport(receivedSnapshot: message)
        } catch {
            receiver.abandon()
            respond(handler, stream, 400, "\(error)\n")
        }
    }

    private func serve(_ handler: HTTP2ConnectionHandler, _ stream: Int32) {
        guard let request = bodies[ObjectIdentifier(handler)]?[stream] else { return }
        let headers = request.headers
        let path = headers[":path"] ?? ""
        let method = headers[":method"] ?? ""
        if path == PeerProtocol.version && method == "GET" {
            respond(handler, stream, 200, "{\"etcdserver\":\"\(PeerProtocol.serverVersion)\",\"etcdcluster\":\"3.4.0\"}")
            return
        }
        if path == PeerProtocol.probing && method == "GET" {
            respond(handler, stream, 200, "{\"health\":\"true\"}")
            return
        }
        if path.hasPrefix(PeerProtocol.pipeline), !admit(handler, stream, headers) {
            bodies[ObjectIdentifier(handler)]?[stream] = nil
            return
        }
        if method == "GET", let kind = StreamKind.allCases.first(where: { path.hasPrefix($0.pathPrefix) }) {
            guard headers["x-raft-to"] == PeerProtocol.id(configuration.localID) else {
                respond(handler, stream, 412, "to field mismatch\n")
                return
            }
            guard let from = PeerProtocol.parseID(path.dropFirst(kind.pathPrefix.count)), let peer = peers[from] else {
                respond(handler, stream, 404, "error sender not found\n")
                return
            }
            try? handler.session.respond(stream: stream, PeerProtocol.responseHeaders(status: 200, clusterID: configuration.clusterID), endStream: false)
            peer.writers[kind] = Writer(handler: handler, stream: stream)
            if kind == .message {
                peer.activeSince = Date()
                peer.inactiveSince = nil
                delegate?.transport(observed: .peerActive(peer.id))
            }
            return
        }
        if method == "GET", path == PeerProtocol.members {
            if let members = delegate?.transportMembers() {
                respond(handler, stream, 200, members, contentType: "application/json")
            } else {
                respond(handler, stream, 404, "404 page not found\n")
            }
            bodies[ObjectIdentifier(handler)]?[stream] = nil
            return
        }
        if method == "POST", path.hasPrefix(PeerProtocol.promotePrefix) {
            bodies[ObjectIdentifier(handler)]?[stream] = nil
            guard let id = UInt64(path.dropFirst(PeerProtocol.promotePrefix.count)), let delegate else {
                respond(handler, stream, 400, "invalid member id\n")
                return
            }
            let (status, body) = delegate.transport(promote: id)
            respond(handler, stream, status, body, contentType: "application/json")
            return
        }
        bodies[ObjectIdentifier(handler)]?[stream] = nil
        switch (method, path) {
        case ("POST", PeerProtocol.pipeline):
            guard let message = try? Message(serializedBytes: request.body) else {
                respond(handler, stream, 400, "error unmarshalling raft message\n")
                return
            }
            respond(handler, stream, 204)
            if let from = headers["x-server-from"].flatMap({ PeerProtocol.parseID($0[...]) }) { peers[from]?.receivedBytes += request.body.count }
            delegate?.transport(received: message)
        case ("POST", PeerProtocol.snapshot):
            respond(handler, stream, 400, "error reading raft message: empty body\n")
        default:
            respond(handler, stream, 404, "404 page not found\n")
        }
    }
}
