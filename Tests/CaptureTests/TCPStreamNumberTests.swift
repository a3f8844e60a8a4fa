import Testing
import Wire
@testable import Capture

/// One segment of a 4-tuple's history: (from port, to port, seq, ack, flags).
private typealias Segment = (from: UInt16, to: UInt16, seq: UInt32, ack: UInt32, flags: PacketBuilder.Flags)

private func capture(_ segments: [Segment]) -> PacketBuilder {
    var builder = PacketBuilder()
    for (index, s) in segments.enumerated() {
        builder.tcp(at: UInt32(index + 1) * 1_000, from: s.from, to: s.to, seq: s.seq, ack: s.ack, flags: s.flags)
    }
    return builder
}

private let handshake: [Segment] = [
    (40000, 2380, 100, 0, .syn), (2380, 40000, 900, 101, [.syn, .ack]), (40000, 2380, 101, 901, .ack),
]
private let closed: [Segment] = handshake + [
    (40000, 2380, 101, 901, [.fin, .ack]), (2380, 40000, 901, 102, [.fin, .ack]), (40000, 2380, 102, 902, .ack),
]

/// How many `tcp.stream`s tshark 4.0 makes of each history (checked with tshark on the same
/// packets): a SYN starts a new one only when its number differs from its direction's base.
@Test(arguments: [
    ("refused dial, the same SYN again", [(40000, 2380, 100, 0, .syn), (2380, 40000, 0, 101, [.rst, .ack]), (40000, 2380, 100, 0, .syn)], 1),
    ("refused dial, a new SYN", [(40000, 2380, 100, 0, .syn), (2380, 40000, 0, 101, [.rst, .ack]), (40000, 2380, 500, 0, .syn)], 2),
    ("a new SYN on an open connection", handshake + [(40000, 2380, 5000, 0, .syn)], 2),
    ("the first SYN again after FIN", closed + [(40000, 2380, 100, 0, .syn)], 1),
    ("a new SYN after FIN", closed + [(40000, 2380, 7000, 0, .syn)], 2),
    ("a SYN after a bare RST, no base for the SYN's side", [(2380, 40000, 55, 0, .rst), (40000, 2380, 100, 0, .syn)], 1),
    ("a SYN after an RST/ACK, whose ack gives the base", [(2380, 40000, 0, 55, [.rst, .ack]), (40000, 2380, 100, 0, .syn)], 2),
    ("a SYN retransmitted", [(40000, 2380, 100, 0, .syn), (40000, 2380, 100, 0, .syn), (2380, 40000, 900, 101, [.syn, .ack])], 1),
    ("a SYN from the other side after an RST", handshake + [(40000, 2380, 101, 901, .rst), (2380, 40000, 3000, 0, .syn)], 2),
] as [(String, [Segment], Int)])
private func connectionsSplitAsTsharkStreams(_ name: String, _ segments: [Segment], _ streams: Int) throws {
    let traffic = try RaftTraffic(captureFile: capture(segments).pcapng())
    #expect(traffic.connections.count == streams, "\(name)")
}

/// What a survivor's redial does on a 4-tuple the killed leader left in TIME_WAIT: the dead
/// member's kernel answers the SYN with a stale ACK, the dialer resets it and sends the same SYN
/// again, which is refused. tshark counts one stream, so the next connection is stream 1.
@Test func synRetransmittedAfterAStaleAckAndResetIsOneConnection() throws {
    var builder = capture([
        (40150, 23802, 1_277_765_520, 0, .syn), (23802, 40150, 3_104_206_700, 1_242_439_662, .ack),
        (40150, 23802, 1_242_439_662, 0, .rst), (40150, 23802, 1_277_765_520, 0, .syn),
        (23802, 40150, 0, 1_277_765_521, [.rst, .ack]),
    ])
    let vote = Message(type: .msgVote, to: 2, from: 1, term: 3, logTerm: 2, index: 9)
    let body = vote.serializedBytes()
    builder.tcp(at: 10_000, from: 40152, to: 23801, seq: 700, flags: .syn)
    builder.tcp(at: 11_000, from: 40152, to: 23801, seq: 701, Array("POST /raft HTTP/1.1\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
    let traffic = try RaftTraffic(captureFile: builder.pcapng())
    #expect(traffic.connections.map(\.client.port) == [40150, 40152])
    #expect(traffic.messages.map(\.connection) == [1])
    #expect(traffic.messages.first?.message == vote)
}

/// When the member is back by the time the SYN is sent again, the SYN/ACK (not the stale ACK
/// before it) gives the server side's first byte, and its stream is read.
@Test func staleAckBeforeTheSynAckDoesNotShiftTheServerBytes() throws {
    let heartbeat = Message(type: .msgHeartbeat, to: 3, from: 2, term: 4)
    let frame = MessageStream.frame(heartbeat)
    let request = Array("GET /raft/stream/message/3 HTTP/1.1\r\nX-Raft-To: 2\r\nX-Server-From: 3\r\n\r\n".utf8)
    let response = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\(String(frame.count, radix: 16))\r\n".utf8) + frame + Array("\r\n".utf8)
    var builder = capture([
        (40150, 23802, 5_000, 0, .syn), (23802, 40150, 3_000_000_000, 77, .ack), (40150, 23802, 77, 0, .rst),
        (40150, 23802, 5_000, 0, .syn), (23802, 40150, 90_000, 5_001, [.syn, .ack]), (40150, 23802, 5_001, 90_001, .ack),
    ])
    builder.tcp(at: 10_000, from: 40150, to: 23802, seq: 5_001, ack: 90_001, request)
    builder.tcp(at: 11_000, from: 23802, to: 40150, seq: 90_001, ack: 5_001 + UInt32(request.count), response)
    let traffic = try RaftTraffic(captureFile: builder.pcapng())
    #expect(traffic.connections.count == 1)
    #expect(traffic.messages.map(\.message) == [heartbeat])
    #expect(traffic.messages.first?.file == "conn-000-stream-message.bin")
}
