import Testing
@testable import HTTP2

/// A client and a server session joined in memory: bytes move until neither has any.
struct Pair {
    let client = HTTP2Session(role: .client)
    let server = HTTP2Session(role: .server)
    var clientEvents: [HTTP2Event] = []
    var serverEvents: [HTTP2Event] = []

    mutating func pump(chunk: Int = .max) throws {
        while true {
            let toServer = client.output(limit: chunk)
            let toClient = server.output(limit: chunk)
            if toServer.isEmpty && toClient.isEmpty { return }
            serverEvents += try server.receive(toServer)
            clientEvents += try client.receive(toClient)
        }
    }
}

@Suite("HTTP/2 sessions on plain bytes")
struct SessionTests {
    @Test("a request with a body and its response arrive whole")
    func requestAndResponse() throws {
        var pair = Pair()
        let stream = try pair.client.request(
            [HTTP2Header(":method", "POST"), HTTP2Header(":scheme", "http"), HTTP2Header(":path", "/raft"),
             HTTP2Header(":authority", "peer"), HTTP2Header("X-Etcd-Cluster-ID", "7")], endStream: false)
        try pair.client.send(stream: stream, Array("hello".utf8), endStream: true)
        try pair.pump()
        guard case .headers(let id, let headers, false)? = pair.serverEvents.first else {
            Issue.record("no request headers: \(pair.serverEvents)")
            return
        }
        #expect(headers[":path"] == "/raft")
        #expect(headers["x-etcd-cluster-id"] == "7")
        let body = pair.serverEvents.compactMap { event -> [UInt8]? in
            if case .data(_, let bytes) = event { return bytes } else { return nil }
        }.joined()
        #expect(Array(body) == Array("hello".utf8))
        #expect(pair.serverEvents.contains(.endStream(stream: id)))
        try pair.server.respond(stream: id, [HTTP2Header(":status", "204")], endStream: true)
        try pair.pump()
        #expect(pair.clientEvents.contains { if case .headers(stream, let h, true) = $0 { h[":status"] == "204" } else { false } })
    }

    @Test("a long-lived response body streams, and an unconsumed one stops at the window")
    func streamingAndBackpressure() throws {
        var pair = Pair()
        let stream = try pair.client.request(
            [HTTP2Header(":method", "GET"), HTTP2Header(":scheme", "http"), HTTP2Header(":path", "/raft/stream/message/1"),
             HTTP2Header(":authority", "peer")], endStream: true)
        try pair.pump()
        try pair.server.respond(stream: stream, [HTTP2Header(":status", "200")], endStream: false)
        // 16 MiB queued while the client consumes nothing: only the stream window (4 MiB) moves.
        try pair.server.send(stream: stream, [UInt8](repeating: 7, count: 16 << 20))
        try pair.pump(chunk: 1 << 16)
        let received = pair.clientEvents.reduce(0) { total, event in
            if case .data(_, let bytes) = event { total + bytes.count } else { total }
        }
        #expect(received == 4 << 20)
        #expect(pair.server.pendingBytes(stream: stream) == (16 << 20) - (4 << 20))
        // Consuming reopens the window and the rest flows.
        pair.client.consume(stream: stream, count: received)
        var total = received
        while total < 16 << 20 {
            pair.clientEvents = []
            try pair.pump(chunk: 1 << 16)
            let more = pair.clientEvents.reduce(0) { sum, event in
                if case .data(_, let bytes) = event { sum + bytes.count } else { sum }
            }
            #expect(more > 0)
            pair.client.consume(stream: stream, count: more)
            total += more
        }
        #expect(pair.server.pendingBytes(stream: stream) == 0)
    }

    @Test("bytes that are not HTTP/2 are refused with an error")
    func garbageRefused() {
        let server = HTTP2Session(role: .server)
        #expect(throws: HTTP2Error.self) { try server.receive(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) }
    }

    @Test("ping is acknowledged and GOAWAY reaches the peer")
    func pingAndGoAway() throws {
        var pair = Pair()
        pair.client.ping()
        try pair.pump()
        #expect(pair.clientEvents.contains(.pingAck))
        pair.server.goAway()
        try pair.pump()
        #expect(pair.clientEvents.contains { if case .goAway = $0 { true } else { false } })
    }
}
