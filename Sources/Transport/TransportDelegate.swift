import HTTP2
import Wire

/// Where the transport hands what it received, and tells what it could not deliver. Called
/// on the transport's event loop.
public protocol TransportDelegate: AnyObject, Sendable {
    func transport(received message: Message)
    /// Where the state-machine bytes of the snapshot `message` (a MsgSnap arriving) go.
    func transport(snapshotSinkFor message: Message) throws -> SnapshotSink
    /// A MsgSnap whose state-machine bytes its sink has made durable.
    func transport(receivedSnapshot message: Message)
    /// A message to this peer was dropped (buffer full, no connection): raft's ReportUnreachable.
    func transport(peerUnreachable id: UInt64)
    /// How a snapshot sent with `sendSnapshot` ended: raft's ReportSnapshot.
    func transport(snapshotSentTo id: UInt64, succeeded: Bool)
    /// `GET /members`: etcd's JSON list of members (what a joining member reads), nil when
    /// this member has none to give.
    func transportMembers() -> String?
    /// `POST /members/promote/<id>`, a follower forwarding a learner's promotion: the status
    /// code and body to answer with.
    func transport(promote id: UInt64) -> (status: HTTPStatus, body: String)
    /// Something an operator wants in the log: a peer's stream going up or down, a request
    /// refused for its cluster ID.
    func transport(observed event: TransportEvent)
}

/// What the transport tells its owner for the log.
public enum TransportEvent: Equatable, Sendable {
    /// The peer's message stream to this member went up.
    case peerActive(UInt64)
    /// The peer's message stream to this member went down.
    case peerInactive(UInt64)
    /// A request for `path` carried another cluster's ID and was refused with 412.
    case clusterIDMismatch(remoteClusterID: String, from: String, path: String)
    /// A connection to the peer port sent bytes that are not HTTP/2 and was closed.
    case badPeerConnection(remote: String, reason: String)
    /// A peer refused this member as removed from the cluster (410 or 403).
    case removedFromCluster
    /// A stream this member dialed on the peer carried bytes that do not decode; it is
    /// dialed again.
    case badStream(from: UInt64, reason: String)
}

extension TransportDelegate {
    /// A delegate without storage refuses snapshots (400, "error saving snapshot").
    public func transport(snapshotSinkFor message: Message) throws -> SnapshotSink {
        throw SnapshotReceiver.Failure.disk("this member takes no snapshots")
    }
    public func transport(snapshotSentTo id: UInt64, succeeded: Bool) {}
    public func transportMembers() -> String? { nil }
    public func transport(promote id: UInt64) -> (status: HTTPStatus, body: String) { (.notFound, "404 page not found\n") }
    public func transport(observed event: TransportEvent) {}
}
