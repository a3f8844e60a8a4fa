import HTTP2
@testable import Transport
import Wire

/// One end of an HTTP/2 connection in memory; `Loopback.pump` moves what its session queues.
final class MemoryConnection: HTTP2Connection {
    let session: HTTP2Session
    private(set) var shutDown = false

    init(_ role: HTTP2Session.Role) { session = HTTP2Session(role: role) }

    func flush() {}

    func shutdown() {
        shutDown = true
        session.goAway()
    }
}

/// A member without sockets: who it is, the peers it knows, and what it was told.
struct MemoryMember {
    let local: LocalMember
    let peers = PeerRegistry()
    let inbox = Inbox()

    init(id: UInt64, clusterID: UInt64 = 0x1000) {
        local = LocalMember(id: id, clusterID: clusterID, peerURLs: ["http://m\(id):2380"])
    }

    /// Registers a link to `peer` and answers it.
    @discardableResult
    func link(to peer: UInt64, sendBufferLimit: Int = 8 << 20) -> PeerLink {
        let link = PeerLink(id: peer, host: "m\(peer)", port: 2380, local: local, sendBufferLimit: sendBufferLimit,
                            snapshotWindow: 4 << 20, delegate: inbox)
        _ = peers.add(link)
        return link
    }

    /// The headers this member's requests carry.
    func headers(_ method: String, _ path: String, to: UInt64? = nil) -> [HTTP2Header] {
        PeerProtocol.requestHeaders(method: method, path: path, authority: "peer", from: local, to: to)
    }
}

/// A connection in memory to a member's peer port: the server end's events go to a
/// `PeerServer` of that member; the client end's to `link` when a link dialed it. Bytes move
/// until neither end has any left to send.
final class Loopback {
    /// A response as the client end saw it.
    struct Answer {
        var status: String?
        var body = ""
    }

    let client = MemoryConnection(.client)
    let server = MemoryConnection(.server)
    let endpoints: PeerServer
    let link: PeerLink?
    private(set) var clientEvents: [HTTP2Event] = []
    /// The streams `link` asked to dial again.
    private(set) var redials: [StreamKind] = []

    /// Connects to `member`; a `link` dials its streams at once.
    init(to member: MemoryMember, from link: PeerLink? = nil) throws {
        endpoints = PeerServer(local: member.local, peers: member.peers, delegate: member.inbox)
        self.link = link
        link?.connected(client)
        try pump()
    }

    func pump() throws {
        while true {
            let toServer = client.session.output()
            let toClient = server.session.output()
            if toServer.isEmpty && toClient.isEmpty { return }
            for event in try server.session.receive(toServer) { endpoints.receive(event, on: server) }
            for event in try client.session.receive(toClient) {
                clientEvents.append(event)
                if let kind = link?.receive(event, on: client) { redials.append(kind) }
            }
        }
    }

    /// Sends a request (with `body`, if any) and answers what came back once bytes stop moving.
    func request(_ headers: [HTTP2Header], body: [UInt8]? = nil) throws -> Answer {
        let stream = try client.session.request(headers, endStream: body == nil)
        if let body { try client.session.send(stream: stream, body, endStream: true) }
        try pump()
        return answer(on: stream)
    }

    func answer(on stream: Int32) -> Answer {
        var answer = Answer()
        for event in clientEvents {
            switch event {
            case .headers(stream, let headers, _): answer.status = headers[":status"]
            case .data(stream, let bytes): answer.body += String(decoding: bytes, as: UTF8.self)
            default: break
            }
        }
        return answer
    }

    /// Closes the connection under both ends.
    func close() {
        endpoints.receive(.connectionClosed, on: server)
        link?.disconnected(client)
    }
}
