import Foundation
import Wire

/// The raft traffic of a packet capture: every HTTP exchange on its TCP connections (etcd's
/// HTTP/1.1 rafthttp or Ferry's HTTP/2) and every raft message they carried, in time order
/// as ../shared/captures/README.md defines messages.jsonl.
public struct RaftTraffic: Sendable {
    public let connections: [TCPConnection]
    /// In (connection, request order).
    public let exchanges: [HTTPExchange]
    /// Sorted by (raw time, connection, offset), ties in request order.
    public let messages: [CapturedMessage]
    /// Bodies that held something other than raft messages, one line each.
    public let problems: [String]

    /// Reads a pcap or pcapng file's bytes.
    public init(captureFile bytes: [UInt8]) throws(CaptureError) {
        self.init(packets: try PacketCaptureFile.packets(bytes))
    }

    public init(packets: [CapturedPacket]) {
        connections = TCPReassembler.connections(packets)
        exchanges = connections.flatMap { connection in
            HTTP2Conversation.isHTTP2(connection) ? HTTP2Conversation.exchanges(connection) : HTTP1Conversation.exchanges(connection)
        }
        var messages: [CapturedMessage] = []
        var problems: [String] = []
        for exchange in exchanges {
            guard let channel = RaftChannel(method: exchange.method, path: exchange.path) else { continue }
            let found = Self.messages(exchange, channel)
            messages += found.messages
            if let error = found.error {
                problems.append("conn \(exchange.connection) \(exchange.method) \(exchange.path): \(error)")
            }
        }
        let ordered = messages.enumerated().sorted { a, b in
            (a.element.epoch, a.element.connection, a.element.offset ?? 0, a.offset)
                < (b.element.epoch, b.element.connection, b.element.offset ?? 0, b.offset)
        }.map(\.element)
        let start = ordered.first?.epoch ?? 0
        self.messages = ordered.map { message in
            var message = message
            message.time = Self.roundedMicroseconds(message.epoch - start)
            return message
        }
        self.problems = problems
    }

    /// Python's `round(x, 6)`: the decimal nearest to the double's exact value, ties to even.
    static func roundedMicroseconds(_ seconds: Double) -> Double {
        Double(String(format: "%.6f", seconds)) ?? seconds
    }

    /// The messages of one exchange, and the error that stopped reading its body, if any.
    private static func messages(_ exchange: HTTPExchange, _ channel: RaftChannel) -> (messages: [CapturedMessage], error: WireError?) {
        do throws(WireError) {
            switch channel {
            case .pipeline, .snapshot: return (try requestMessages(exchange, channel), nil)
            case .streamMessage, .streamMsgAppV2: return streamMessages(exchange, channel)
            }
        } catch {
            return ([], error)
        }
    }

    private static func captured(_ exchange: HTTPExchange, _ channel: RaftChannel, _ epoch: Double, _ bytes: [UInt8], _ message: Message) -> CapturedMessage {
        CapturedMessage(epoch: epoch, time: 0, connection: exchange.connection, channel: channel, bytes: bytes, message: message)
    }

    /// The message of a pipeline or snapshot request, timed by the body's last byte.
    private static func requestMessages(_ exchange: HTTPExchange, _ channel: RaftChannel) throws(WireError) -> [CapturedMessage] {
        let body = exchange.requestBody
        switch channel {
        case .pipeline:
            guard exchange.requestComplete, body.count > 0 else { return [] }
            return [captured(exchange, channel, body.epoch(at: body.count - 1), body.bytes, try Message(serializedBytes: body.bytes))]
        case .snapshot:
            guard exchange.requestComplete, body.count >= 8 else { return [] }
            let length = body.bytes.bigEndian(0, 8)
            guard length <= UInt64(body.count - 8) else {
                throw .truncatedFrame(offset: 0, needed: 8 + Int(clamping: length), available: body.count)
            }
            let messageBytes = Array(body.bytes[8..<(8 + Int(length))])
            var message = captured(exchange, channel, body.epoch(at: body.count - 1), messageBytes, try Message(serializedBytes: messageBytes))
            message.snapshotDBBytes = body.count - 8 - Int(length)
            return [message]
        default:
            return []
        }
    }

    /// The frames of a stream response that got 200, each timed by its last byte.
    private static func streamMessages(_ exchange: HTTPExchange, _ channel: RaftChannel) -> (messages: [CapturedMessage], error: WireError?) {
        guard exchange.status == 200 else { return ([], nil) }
        let response = exchange.responseBody
        let local = exchange.header("X-Server-From").flatMap { UInt64($0, radix: 16) } ?? 0
        let remote = exchange.header("X-Raft-To").flatMap { UInt64($0, radix: 16) } ?? 0
        let decoded = StreamFrames.decode(response.bytes, channel: channel, local: local, remote: remote)
        let file = channel.fileName(connection: exchange.connection)
        let messages = decoded.frames.map { frame in
            var message = captured(exchange, channel, response.epoch(at: frame.offset + frame.wireBytes.count - 1), frame.messageBytes, frame.message)
            message.file = file
            message.offset = frame.offset
            if channel == .streamMsgAppV2 { message.wireBytes = frame.wireBytes }
            return message
        }
        return (messages, decoded.error)
    }
}
