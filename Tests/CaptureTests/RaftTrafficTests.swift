import Foundation
import Testing
import Wire
@testable import Capture

/// A pipeline POST and a stream-message GET, each in two segments, plus a retransmission.
private func sample() -> (PacketBuilder, Message, Message) {
    let vote = Message(type: .msgVote, to: 2, from: 1, term: 2, logTerm: 1, index: 3)
    let heartbeat = Message(type: .msgHeartbeat, to: 3, from: 1, term: 2)
    var b = PacketBuilder()
    let body = vote.serializedBytes()
    let post = Array("POST /raft HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
    b.tcp(at: 100, from: 40000, to: 2380, seq: 999, flags: .syn)
    b.tcp(at: 1_000, from: 40000, to: 2380, seq: 1000, post + body.prefix(5))
    b.tcp(at: 2_000, from: 40000, to: 2380, seq: 1000, post + body.prefix(5))  // retransmission adds nothing
    b.tcp(at: 3_000, from: 40000, to: 2380, seq: 1000 + UInt32(post.count + 5), Array(body.dropFirst(5)))
    let get = Array("GET /raft/stream/message/3 HTTP/1.1\r\nX-Raft-To: 1\r\nX-Server-From: 3\r\n\r\n".utf8)
    b.tcp(at: 4_000, from: 40001, to: 2380, seq: 5000, get)
    let frame = MessageStream.frame(heartbeat)
    let chunk = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\(String(frame.count, radix: 16))\r\n".utf8) + frame + Array("\r\n".utf8)
    b.tcp(at: 5_000, from: 2380, to: 40001, seq: 7000, Array(chunk.prefix(60)))
    b.tcp(at: 2_500_000, from: 2380, to: 40001, seq: 7000 + 60, Array(chunk.dropFirst(60)))
    return (b, vote, heartbeat)
}

@Test func pipelineAndStreamMessagesInTimeOrder() throws {
    let (builder, vote, heartbeat) = sample()
    for file in [builder.pcapng(), builder.pcap(nanosecond: true)] {
        let traffic = try RaftTraffic(captureFile: file)
        #expect(traffic.problems.isEmpty)
        #expect(traffic.messages.map(\.channel) == [.pipeline, .streamMessage])
        #expect(traffic.messages.map(\.connection) == [0, 1])
        #expect(traffic.messages[0].bytes == vote.serializedBytes())
        #expect(traffic.messages[0].time == 0)
        #expect(traffic.messages[1].message == heartbeat)
        #expect(traffic.messages[1].time == 0.002497)
        #expect(traffic.messages[1].file == "conn-001-stream-message.bin")
        #expect(traffic.messages[1].offset == 0)
        #expect(traffic.messages[1].jsonLine["describe"]?.stringValue == "1->3 MsgHeartbeat Term:2 Log:0/0")
    }
}

@Test func microsecondPcapReadsTheSameMessages() throws {
    let (builder, _, _) = sample()
    let traffic = try RaftTraffic(captureFile: builder.pcap(nanosecond: false))
    #expect(traffic.messages.map(\.time) == [0, 0.002497])
}

@Test func malformedCapturesReportWhere() {
    let (builder, _, _) = sample()
    let pcap = builder.pcap(nanosecond: true)
    #expect(throws: CaptureError.truncated(offset: 24, needed: 16, available: 10)) {
        try PacketCaptureFile.packets(Array(pcap.prefix(34)))
    }
    #expect(throws: CaptureError.unknownFormat(magic: 0x6c6c_6568)) { try PacketCaptureFile.packets(Array("hello".utf8)) }
    var pcapng = builder.pcapng()
    pcapng[4] = 13  // section header length not a multiple of 4
    #expect(throws: CaptureError.badBlockLength(offset: 0, length: 13)) { try PacketCaptureFile.packets(pcapng) }
    for cut in stride(from: 0, to: pcap.count, by: 7) {
        _ = try? RaftTraffic(captureFile: Array(pcap.prefix(cut)))
    }
}

@Test func sharedCapturesReadAsPcapWithNanoseconds() throws {
    let path = "../shared/captures/etcd-3.4.23-basic/peers.pcapng"
    guard let data = FileManager.default.contents(atPath: path) else { return }
    let packets = try PacketCaptureFile.packets([UInt8](data))
    var builder = PacketBuilder()
    builder.linkType = packets.first?.linkType ?? 1
    builder.packets = packets.map { (UInt32($0.timestamp.seconds), $0.timestamp.nanoseconds, $0.data) }
    let fromPcapng = RaftTraffic(packets: packets).messages
    let fromPcap = try RaftTraffic(captureFile: builder.pcap(nanosecond: true)).messages
    #expect(fromPcapng.count == fromPcap.count)
    #expect(fromPcapng.map(\.jsonLine) == fromPcap.map(\.jsonLine))
}
