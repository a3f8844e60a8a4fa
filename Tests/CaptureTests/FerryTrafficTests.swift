import Foundation
import Testing
import Wire
@testable import Capture

/// Ferry's own peer traffic: a three-member cluster (`make run`'s layout) starting, electing a
/// leader, publishing its members and taking one put, recorded with `tcpdump -i lo` on the peer
/// ports. Its HTTP/2 is parsed with nghttp2, as Ferry's transport parses it.
@Test func ferryHTTP2PeerTrafficReadsAsRaftMessages() throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/ferry-http2-three-members.pcap").path
    let traffic = try RaftTraffic(captureFile: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    #expect(traffic.problems.isEmpty)
    let members: Set<UInt64> = [0x8211f1d0f64f3269, 0x91bc3c398fb3c146, 0xfd422379fda50e48]
    let messages = traffic.messages.map(\.message)
    #expect(messages.count > 300)
    #expect(messages.allSatisfy { members.contains($0.from) && members.contains($0.to) })
    #expect(Set(traffic.messages.map(\.channel)) == [.streamMessage, .streamMsgAppV2])
    // MsgApp travels on the msgapp stream only; votes and heartbeats on the message stream.
    for captured in traffic.messages {
        #expect((captured.message.type == .msgApp) == (captured.channel == .streamMsgAppV2))
    }
    let types = Set(messages.map(\.type))
    #expect(types.isSuperset(of: [.msgVote, .msgVoteResp, .msgApp, .msgAppResp, .msgHeartbeat, .msgHeartbeatResp, .msgProp]))
    #expect(traffic.messages.map(\.time) == traffic.messages.map(\.time).sorted())
    // Every member's attributes and the put of "x" reach the followers inside appends.
    let payloads = messages.filter { $0.type == .msgApp }.flatMap(\.entries).compactMap(\.data)
    for name in ["infra1", "infra2", "infra3"] {
        #expect(payloads.contains { String(decoding: $0, as: UTF8.self).contains("{\"name\":\"\(name)\"") })
    }
    let put = try #require(payloads.compactMap { try? InternalRaftRequest(serializedBytes: $0) }.first { $0.put != nil })
    #expect(put.put?.key == Data("x".utf8))
    #expect(put.put?.value == Data("y".utf8))
}
