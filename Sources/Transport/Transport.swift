import Foundation
import HTTP2
import NIOCore
import Wire

/// rafthttp over HTTP/2: every member holds one connection to every peer, on which it dials
/// `GET /raft/stream/message/<own id>`; the peer answers with a long-lived body into which it
/// writes the messages meant for the dialer (8-byte length + raftpb.Message). Messages go out
/// on the stream the receiver dialed; while that is down they go by pipeline (`POST /raft`,
/// one message a request) on this member's own connection. Snapshots go by
/// `POST /raft/snapshot`.
///
/// This is the I/O shell: sockets, timers and loop hops. The protocol lives in `PeerServer`
/// (one per connection peers open here) and `PeerLink` (one per peer). All state lives on
/// one event loop.
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

        var local: LocalMember { LocalMember(id: localID, clusterID: clusterID, peerURLs: peerURLs) }
    }

    public let configuration: Configuration
    public let eventLoop: EventLoop
    private weak var delegate: (any TransportDelegate)?
    private let peers = PeerRegistry()
    /// The wait before a peer's next reconnection or redial; doubles on every failed
    /// connection, up to `maxBackoff`.
    private var backoffs: [UInt64: TimeAmount] = [:]
    private static let initialBackoff = TimeAmount.milliseconds(50)
    private var server: Channel?
    private var stopped = false

    public init(configuration: Configuration, eventLoop: EventLoop, delegate: any TransportDelegate) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.delegate = delegate
    }

    /// Listens on the peer port; returns the bound port (0 asks for any).
    public func start(host: String, port: Int) -> EventLoopFuture<Int> {
        Sockets.listen(on: eventLoop, host: host, port: port) { [self] channel in
            let endpoints = PeerServer(local: configuration.local, peers: peers, delegate: delegate)
            try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionHandler(
                role: .server,
                onError: { [weak self] handler, error in
                    // One log line for bad input; the connection closes, others go on.
                    let remote = handler.channel?.remoteAddress.map { "\($0)" } ?? "unknown"
                    self?.delegate?.transport(observed: .badPeerConnection(remote: remote, reason: "\(error)"))
                },
                onEvent: { handler, event in endpoints.receive(event, on: handler) }))
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
            let link = PeerLink(
                id: id, host: host, port: port, local: configuration.local, sendBufferLimit: configuration.sendBufferLimit,
                snapshotWindow: configuration.snapshotWindow, delegate: delegate)
            guard peers.add(link) else { return }
            backoffs[id] = Self.initialBackoff
            connect(link)
        }
    }

    /// Removes a peer and closes what it had open.
    public func removePeer(id: UInt64) {
        eventLoop.execute { [self] in
            peers.remove(id: id)?.close()
            backoffs[id] = nil
        }
    }

    /// Drops a member removed from the cluster and refuses it from now on, as etcd does.
    public func markRemoved(id: UInt64) {
        eventLoop.execute { [self] in peers.markRemoved(id: id) }
        removePeer(id: id)
    }

    /// Whether the peer's stream to us is up, and since when it has been up or down.
    public func peerStatus(id: UInt64) -> EventLoopFuture<(active: Bool, since: Date?)> {
        eventLoop.submit { [self] in peers[id]?.status ?? (false, nil) }
    }

    /// Message bytes sent to and received from each peer so far (etcd's peer byte counters).
    public func peerByteCounts() -> EventLoopFuture<[UInt64: (sent: Int, received: Int)]> {
        eventLoop.submit { [self] in peers.links.mapValues { ($0.stats.sentBytes, $0.stats.receivedBytes) } }
    }

    /// Bytes queued for a peer on the streams it dialed, not yet taken by the connection:
    /// bounded by `sendBufferLimit` (plus one message), however slowly the peer reads.
    public func queuedBytes(to id: UInt64) -> EventLoopFuture<Int> {
        eventLoop.submit { [self] in peers[id]?.queuedBytes ?? 0 }
    }

    /// Sends messages to their `to` peers: by stream when it is up, else by pipeline. Called
    /// on the transport's own loop it writes before returning (a raft loop sharing the loop
    /// gets its messages out before its fsync, not after).
    public func send(_ messages: [Message]) {
        guard eventLoop.inEventLoop else { return eventLoop.execute { [self] in send(messages) } }
        var touched: [ObjectIdentifier: any HTTP2Connection] = [:]
        for message in messages {
            guard let link = peers[message.to] else {
                delegate?.transport(peerUnreachable: message.to)
                continue
            }
            if let connection = link.route(message) { touched[ObjectIdentifier(connection)] = connection }
        }
        // One write per connection for the whole batch.
        for connection in touched.values { connection.flush() }
    }

    /// Sends a MsgSnap followed by the state machine's bytes from `source`, a window at a
    /// time as the connection takes them; the delegate hears how it ended.
    public func sendSnapshot(_ message: Message, source: SnapshotSource) {
        eventLoop.execute { [self] in
            guard let link = peers[message.to] else {
                source.close()
                delegate?.transport(peerUnreachable: message.to)
                delegate?.transport(snapshotSentTo: message.to, succeeded: false)
                return
            }
            if let snapshot = link.startSnapshot(message, source: source) { pump(snapshot, of: link) }
        }
    }

    /// Pumps the snapshot, and again shortly after the connection has taken some.
    private func pump(_ snapshot: OutgoingSnapshot, of link: PeerLink) {
        guard !stopped else { return snapshot.source.close() }
        guard link.pump(snapshot) else { return }
        let next = NIOLoopBound((snapshot, link), eventLoop: eventLoop)
        eventLoop.scheduleTask(in: .milliseconds(2)) { [self] in pump(next.value.0, of: next.value.1) }
    }

    public func stop() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            stopped = true
            for link in peers.removeAll() { link.connection?.shutdown() }
            backoffs = [:]
            return server?.close() ?? eventLoop.makeSucceededVoidFuture()
        }
    }

    // MARK: Our connection to a peer

    private func connect(_ link: PeerLink) {
        guard !stopped, peers.contains(link) else { return }
        // Installed and completed on this loop, as everything the link does.
        let bound = NIOLoopBound(link, eventLoop: eventLoop)
        Sockets.connect(on: eventLoop, host: link.host, port: link.port) { [self] channel in
            try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionHandler(role: .client) { [weak self] handler, event in
                guard let self, let kind = bound.value.receive(event, on: handler) else { return }
                redial(kind, bound.value, on: handler)
            })
        }
        .whenComplete { [self] result in
            let link = bound.value
            switch result {
            case .success(let channel):
                guard let handler = try? channel.pipeline.syncOperations.handler(type: HTTP2ConnectionHandler.self) else { return }
                // Removed (or stopped) while it was connecting: nothing will use it.
                guard !stopped, peers.contains(link) else { return channel.close(promise: nil) }
                backoffs[link.id] = Self.initialBackoff
                link.connected(handler)
                channel.closeFuture.whenComplete { [self] _ in
                    bound.value.disconnected(handler)
                    scheduleReconnect(bound.value)
                }
            case .failure:
                scheduleReconnect(link)
            }
        }
    }

    private func scheduleReconnect(_ link: PeerLink) {
        guard !stopped, peers.contains(link) else { return }
        let delay = backoffs[link.id] ?? Self.initialBackoff
        backoffs[link.id] = min(delay * 2, configuration.maxBackoff)
        let bound = NIOLoopBound(link, eventLoop: eventLoop)
        eventLoop.scheduleTask(in: delay) { [self] in
            if bound.value.connection == nil { connect(bound.value) }
        }
    }

    /// Dials `kind` again after the backoff, unless the connection changed meanwhile.
    private func redial(_ kind: StreamKind, _ link: PeerLink, on handler: HTTP2ConnectionHandler) {
        let bound = NIOLoopBound(link, eventLoop: eventLoop)
        eventLoop.scheduleTask(in: backoffs[link.id] ?? Self.initialBackoff) {
            bound.value.redial(kind, on: handler)
        }
    }

    /// PINGs every connection to a peer; one silent for `livenessTimeout` is closed and
    /// dialed again.
    private func checkLiveness() {
        guard !stopped else { return }
        for link in peers.links.values { link.checkLiveness(timeout: configuration.livenessTimeout) }
        eventLoop.scheduleTask(in: .milliseconds(Int64(configuration.livenessTimeout * 1000 / 4))) { [self] in checkLiveness() }
    }
}
