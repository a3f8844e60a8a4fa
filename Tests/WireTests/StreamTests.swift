import Foundation
import Testing
@testable import Wire

@Suite("rafthttp stream framing")
struct StreamTests {
    let messages = [
        Message(type: .msgHeartbeat, to: 2, from: 1, term: 3, commit: 5),
        Message(type: .msgApp, to: 2, from: 1, term: 3, logTerm: 3, index: 7,
                entries: [Entry(term: 3, index: 8, data: Data("x".utf8))], commit: 7),
    ]

    @Test("the message stream decodes frames fed one byte at a time")
    func byteByByte() throws {
        let stream = messages.flatMap(MessageStream.frame)
        var decoder = MessageStreamDecoder()
        var got: [Message] = []
        for byte in stream {
            decoder.feed([byte])
            while let m = try decoder.next() { got.append(m) }
        }
        try decoder.finish()
        #expect(got == messages)
    }

    @Test("a length over the limit is refused before the body arrives")
    func sizeLimit() {
        var decoder = MessageStreamDecoder(limit: 100)
        decoder.feed([0, 0, 0, 0, 0, 0, 0, 101, 0x08])
        #expect(throws: WireError.frameTooLarge(offset: 0, length: 101, limit: 100)) { try decoder.next() }
    }

    @Test("a stream that ends inside a frame reports it")
    func truncated() throws {
        var decoder = MessageStreamDecoder()
        decoder.feed(MessageStream.frame(messages[0]).dropLast())
        #expect(try decoder.next() == nil)
        #expect(throws: WireError.self) { try decoder.finish() }
    }

    @Test("msgappv2: what the encoder writes the decoder rebuilds, short frames included")
    func msgAppV2RoundTrip() throws {
        let leader: UInt64 = 1, follower: UInt64 = 2
        func app(_ index: UInt64, _ count: Int, commit: UInt64) -> Message {
            Message(type: .msgApp, to: follower, from: leader, term: 4, logTerm: 4, index: index,
                    entries: (0..<count).map { Entry(term: 4, index: index + 1 + UInt64($0), data: Data([UInt8($0)])) },
                    commit: commit)
        }
        let sent = [app(10, 2, commit: 10), app(12, 3, commit: 12), Message(type: .msgHeartbeat), app(15, 1, commit: 15)]
        var encoder = MsgAppV2Encoder()
        let frames = sent.map { encoder.encode($0) }
        #expect(frames[0].first == 2 && frames[1].first == 1 && frames[2] == [0] && frames[3].first == 1)
        var decoder = MsgAppV2Decoder(local: follower, remote: leader)
        var got: [Message] = []
        for byte in frames.joined() {
            decoder.feed([byte])
            while let next = try decoder.next() { got.append(next.message) }
        }
        try decoder.finish()
        #expect(got == sent)
    }

    @Test("msgappv2 refuses an unknown frame type")
    func msgAppV2UnknownType() {
        var decoder = MsgAppV2Decoder(local: 2, remote: 1)
        decoder.feed([7])
        #expect(throws: WireError.unknownFrameType(offset: 0, type: 7)) { try decoder.next() }
    }

    @Test("a malformed message inside a frame is reported at its byte in the whole stream")
    func malformedMessageOffsetsAreStreamOffsets() throws {
        let good = MessageStream.frame(Message(type: .msgHeartbeat, to: 2, from: 1, term: 3))
        // A frame whose payload is a lone tag byte: the message ends inside the tag's value.
        var stream = MessageStreamDecoder()
        stream.feed(good + [0, 0, 0, 0, 0, 0, 0, 1, 0x08])
        _ = try stream.next()
        #expect(throws: WireError.unexpectedEnd(path: "raftpb.Message.type", offset: good.count + 8 + 1)) { try stream.next() }

        var encoder = MsgAppV2Encoder()
        let heartbeat = encoder.encode(Message(type: .msgHeartbeat))
        var msgApp = MsgAppV2Decoder(local: 2, remote: 1)
        msgApp.feed(heartbeat + [2, 0, 0, 0, 0, 0, 0, 0, 1, 0x08])
        _ = try msgApp.next()
        #expect(throws: WireError.unexpectedEnd(path: "raftpb.Message.type", offset: heartbeat.count + 9 + 1)) { try msgApp.next() }
    }
}
