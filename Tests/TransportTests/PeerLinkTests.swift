import Foundation
import HTTP2
import Testing
@testable import Transport
import Wire

/// A member's link to a peer driven against the peer's endpoints in memory: member 1 dials
/// member 2 on `wire`.
@Suite("peer links without sockets")
struct PeerLinkTests {
    let member = MemoryMember(id: 1)
    let peer = MemoryMember(id: 2)

    @Test("a dialed stream answered other than 200 asks to be dialed again, on the same connection only")
    func non200Redials() throws {
        let link = member.link(to: 2)
        let connection = MemoryConnection(.client)
        link.connected(connection)  // the message stream is stream 1, the msgapp stream 3
        func answer(_ stream: Int32, _ status: String) -> HTTP2Event {
            .headers(stream: stream, headers: [HTTP2Header(":status", status)], endStream: false)
        }
        #expect(link.receive(answer(1, "404"), on: connection) == .message)
        #expect(!link.isDialed(.message) && link.isDialed(.msgApp))
        link.redial(.message, on: MemoryConnection(.client))
        #expect(!link.isDialed(.message))
        link.redial(.message, on: connection)
        #expect(link.isDialed(.message))
        #expect(link.receive(answer(5, "200"), on: connection) == nil)
        #expect(link.receive(answer(3, "412"), on: connection) == .msgApp)
        #expect(member.inbox.seen.value.events.isEmpty)
    }

    @Test("a peer that does not know this member yet answers 404, and both streams ask to be dialed again")
    func unknownToPeerRedials() throws {
        let link = member.link(to: 2)
        let wire = try Loopback(to: peer, from: link)
        #expect(Set(wire.redials) == [.message, .msgApp])
        #expect(!link.isDialed(.message) && !link.isDialed(.msgApp))
    }

    @Test("an answer of 410 reports removedFromCluster")
    func goneReportsRemoved() throws {
        let link = member.link(to: 2)
        peer.link(to: 1)
        peer.peers.markRemoved(id: 1)
        let wire = try Loopback(to: peer, from: link)
        #expect(member.inbox.seen.value.events.contains(.removedFromCluster))
        #expect(wire.redials.count == 2)
    }

    @Test("MsgApp goes by the msgapp stream, everything else by the message stream")
    func routingPrefersMsgAppStream() throws {
        let link = member.link(to: 2)
        let back = peer.link(to: 1)
        let wire = try Loopback(to: peer, from: link)
        #expect(wire.redials.isEmpty)
        let app = try #require(back.writers[.msgApp])
        let stream = try #require(back.writers[.message])
        let msgApp = Message(type: .msgApp, to: 1, from: 2, term: 1, index: 4, entries: [Entry(term: 1, index: 5, data: Data(count: 16))])
        #expect(back.route(msgApp) === wire.server)
        #expect(app.pendingBytes > 0 && stream.pendingBytes == 0)
        let heartbeat = Message(type: .msgHeartbeat, to: 1, from: 2, term: 1)
        #expect(back.route(heartbeat) === wire.server)
        #expect(stream.pendingBytes > 0)
        try wire.pump()
        #expect(Set(member.inbox.received.map(\.type)) == [.msgApp, .msgHeartbeat])
        #expect(back.stats.sentBytes > 0 && link.stats.receivedBytes == back.stats.sentBytes)
    }

    @Test("a message to a stream holding more than the send buffer limit is dropped and reported unreachable")
    func dropsOverBufferLimit() throws {
        let link = member.link(to: 2)
        let back = peer.link(to: 1, sendBufferLimit: 1024)
        _ = try Loopback(to: peer, from: link)
        let big = Message(type: .msgApp, to: 1, from: 2, term: 1, entries: [Entry(term: 1, index: 1, data: Data(count: 4096))])
        #expect(back.route(big) != nil)
        #expect(back.route(big) == nil)
        #expect(peer.inbox.unreachableCount == 1)
        #expect(back.queuedBytes < 2 * 4096)
    }

    @Test("without the peer's stream a message goes by pipeline POST, without a connection it is dropped")
    func pipelineThenDrop() throws {
        let link = member.link(to: 2)
        let wire = try Loopback(to: peer, from: link)
        let heartbeat = Message(type: .msgHeartbeat, to: 2, from: 1, term: 1)
        #expect(link.route(heartbeat) == nil)  // the pipeline flushes its own request
        try wire.pump()
        #expect(peer.inbox.received == [heartbeat])
        wire.close()
        #expect(link.route(heartbeat) == nil)
        #expect(member.inbox.unreachableCount == 1)
    }

    @Test("a stream whose bytes do not decode is reset, reported, and asks to be dialed again")
    func badStreamRedials() throws {
        let link = member.link(to: 2)
        let back = peer.link(to: 1)
        let wire = try Loopback(to: peer, from: link)
        let writer = try #require(back.writers[.message])
        try writer.connection.session.send(stream: writer.stream, [UInt8](repeating: 0xff, count: 16))
        try wire.pump()
        #expect(wire.redials == [.message])
        #expect(member.inbox.seen.value.events.contains { if case .badStream(from: 2, _) = $0 { true } else { false } })
        #expect(!link.isDialed(.message) && link.isDialed(.msgApp))
    }

    @Test("a snapshot streams from its source into the peer's sink; the 204 reports success when the stream closes")
    func snapshotRoundTrip() throws {
        let link = member.link(to: 2)
        peer.link(to: 1)
        let wire = try Loopback(to: peer, from: link)
        let data = (0..<(300 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        var offset = 0
        var closed = false
        let source = SnapshotSource(read: { count in
            defer { offset = min(data.count, offset + count) }
            return Array(data[offset..<min(data.count, offset + count)])
        }, close: { closed = true })
        let snap = Message(type: .msgSnap, to: 2, from: 1, term: 3,
                           snapshot: Snapshot(metadata: SnapshotMetadata(confState: ConfState(voters: [1, 2]), index: 9, term: 3)))
        let outgoing = try #require(link.startSnapshot(snap, source: source))
        #expect(!link.pump(outgoing))
        #expect(closed)
        try wire.pump()
        let seen = peer.inbox.seen.value
        #expect(seen.snapshots == [snap])
        #expect(seen.snapshotBytes[9] == data)
        #expect(seen.finishedSnapshots == [9])
        #expect(member.inbox.seen.value.snapshotReports.map { "\($0.id) \($0.succeeded)" } == ["2 true"])
    }

    @Test("a connection silent past the liveness timeout is shut; a live one is PINGed")
    func liveness() throws {
        let link = member.link(to: 2)
        let wire = try Loopback(to: peer, from: link)
        link.checkLiveness(timeout: 60)
        try wire.pump()
        #expect(wire.clientEvents.contains(.pingAck))
        #expect(!wire.client.shutDown)
        link.checkLiveness(timeout: -1)
        #expect(wire.client.shutDown)
    }
}
