import Foundation
import HTTP2
import Wire

/// One peer as this member sees it, without I/O: the connection this member dialed to it
/// (the stream GETs it receives on, their decoders, its pipeline and snapshot POSTs), the
/// streams the peer dialed here (which messages to it are written into), and its counters.
/// The shell hands it the connection and that connection's events, and schedules the
/// redials it asks for.
final class PeerLink {
    let id: UInt64
    let host: String
    let port: Int
    let local: LocalMember
    /// Bytes queued on one of the peer's streams before messages to it are dropped.
    let sendBufferLimit: Int
    /// Snapshot bytes queued on the connection before more are read from the source.
    let snapshotWindow: Int
    private(set) weak var delegate: (any TransportDelegate)?

    /// Our connection to the peer, while it is up.
    private(set) var connection: (any HTTP2Connection)?
    /// Our stream GETs on that connection and the decoders of what arrives on them.
    private var dialed: [Int32: StreamReader] = [:]
    /// The streams the peer dialed to us.
    var writers: [StreamKind: StreamWriter] = [:]
    /// Snapshot POSTs in flight, and whether each was answered with success yet.
    var snapshots: [Int32: Bool] = [:]
    /// When the peer last answered a PING on our connection.
    private(set) var lastPingAck = Date()
    var stats = PeerStats()

    init(id: UInt64, host: String, port: Int, local: LocalMember, sendBufferLimit: Int, snapshotWindow: Int,
         delegate: (any TransportDelegate)?) {
        self.id = id
        self.host = host
        self.port = port
        self.local = local
        self.sendBufferLimit = sendBufferLimit
        self.snapshotWindow = snapshotWindow
        self.delegate = delegate
    }

    var authority: String { "\(host):\(port)" }

    /// Our connection to the peer is up: both streams are dialed on it.
    func connected(_ connection: any HTTP2Connection) {
        self.connection = connection
        lastPingAck = Date()
        for kind in StreamKind.allCases { dial(kind) }
    }

    /// A connection we dialed closed; if it was the current one, what ran on it is over.
    func disconnected(_ connection: any HTTP2Connection) {
        guard self.connection === connection else { return }
        self.connection = nil
        dialed = [:]
        for (_, succeeded) in snapshots { delegate?.transport(snapshotSentTo: id, succeeded: succeeded) }
        snapshots = [:]
    }

    /// The peer is gone: our connection shuts and the streams it dialed here are reset.
    func close() {
        connection?.shutdown()
        for writer in writers.values {
            writer.connection.session.reset(stream: writer.stream)
            writer.connection.flush()
        }
    }

    func isDialed(_ kind: StreamKind) -> Bool { dialed.values.contains { $0.kind == kind } }

    /// Dials `kind` again, unless the connection changed meanwhile or it is dialed already.
    func redial(_ kind: StreamKind, on connection: any HTTP2Connection) {
        guard self.connection === connection, !isDialed(kind) else { return }
        dial(kind)
    }

    private func dial(_ kind: StreamKind) {
        guard let connection else { return }
        let headers = PeerProtocol.requestHeaders(
            method: "GET", path: kind.pathPrefix + PeerProtocol.id(local.id), authority: authority, from: local, to: id)
        guard let stream = try? connection.session.request(headers, endStream: true) else { return }
        dialed[stream] = StreamReader(kind, local: local.id, remote: id)
        connection.flush()
    }

    /// Takes an event of a connection we dialed; answers the stream to dial again after the
    /// backoff, if any.
    func receive(_ event: HTTP2Event, on connection: any HTTP2Connection) -> StreamKind? {
        switch event {
        case .data(let stream, let bytes):
            connection.session.consume(stream: stream, count: bytes.count)
            // Taken out while it reads (see StreamReader.read).
            guard let reader = dialed.removeValue(forKey: stream) else { return nil }
            let kind = reader.kind
            stats.receivedBytes += bytes.count
            do {
                dialed[stream] = try reader.read(bytes) { delegate?.transport(received: $0) }
            } catch {
                delegate?.transport(observed: .badStream(from: id, reason: "\(error)"))
                connection.session.reset(stream: stream)
                return kind
            }
        case .headers(let stream, let headers, _):
            let status = HTTPStatus(field: headers[":status"])
            if status == .gone || status == .forbidden {
                // A peer that knows this member was removed: nothing will change that.
                delegate?.transport(observed: .removedFromCluster)
            }
            if snapshots[stream] != nil { snapshots[stream] = status == .noContent }
            if let reader = dialed[stream], status != .ok {
                // 404 (not known there yet), 412 (another cluster), 410 (removed): retry later.
                dialed[stream] = nil
                return reader.kind
            }
        case .streamClosed(let stream, _):
            if let succeeded = snapshots.removeValue(forKey: stream) {
                delegate?.transport(snapshotSentTo: id, succeeded: succeeded)
            }
            return dialed.removeValue(forKey: stream)?.kind
        case .pingAck:
            lastPingAck = Date()
        default:
            break
        }
        return nil
    }

    /// PINGs the peer on our connection; one silent for `timeout` seconds is shut (the shell
    /// dials again once it has closed).
    func checkLiveness(timeout: Double) {
        guard let connection else { return }
        if Date().timeIntervalSince(lastPingAck) > timeout {
            connection.shutdown()
            return
        }
        connection.session.ping()
        connection.flush()
    }
}
