import Foundation
import GRPC
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import TestSupport
import Testing
@testable import Gateway
@testable import Server

/// Everything a server wrote on one connection, and whether it closed it.
final class ReplyCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    struct Reply: Sendable {
        var text = ""
        var closed = false
    }

    let reply = Observed(Reply())

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let text = String(buffer: unwrapInboundIn(data))
        reply.update { $0.text += text }
    }

    func channelInactive(context: ChannelHandlerContext) { reply.update { $0.closed = true } }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}

/// One client connection to a fixture's port: bytes go out as written, and a test waits on
/// what comes back.
struct RawConnection {
    let channel: Channel
    let collector: ReplyCollector

    static func open(port: Int, group: EventLoopGroup) async throws -> RawConnection {
        let collector = ReplyCollector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    func write(_ piece: String) async throws { try await channel.writeAndFlush(ByteBuffer(string: piece)) }

    /// Waits until the server has closed the connection; answers all it wrote.
    func waitForClose() async throws -> String {
        try await collector.reply.wait(for: "the server to close the connection") { $0.closed }.text
    }

    /// Waits until what the server wrote satisfies `condition` (the connection still open).
    func waitForReply(_ what: String, until condition: @escaping @Sendable (String) -> Bool) async throws -> String {
        let reply = try await collector.reply.wait(for: what) { $0.closed || condition($0.text) }
        #expect(!reply.closed, "the server closed the connection before \(what)")
        return reply.text
    }

    func close() async throws { try await channel.close() }
}

/// A client port with one gRPC method and an HTTP/1.1 service that says what it was asked.
final class ClientPortFixture: Sendable {
    let group: MultiThreadedEventLoopGroup
    let listener: Channel
    var port: Int { listener.localAddress!.port! }

    init() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        self.group = group
        let grpc = GRPCServer(methods: [
            "/test.Echo/Unary": { call in
                call.onMessage = { call.send($0) }
                call.onEnd = { call.finish(.ok) }
            },
        ])
        listener = try await ClientPort.start(group: group, host: "127.0.0.1", port: 0, grpc: grpc, maxHTTP1BodyBytes: 1024) { head, body in
            guard head.uri != "/fail" else { return group.next().makeFailedFuture(CancellationError()) }
            let answer = "\(head.method.rawValue) \(head.uri) \(String(decoding: body, as: UTF8.self))\n"
            return group.next().makeSucceededFuture((status: .ok, contentType: "text/plain", body: answer))
        }.get()
    }

    func connect() async throws -> RawConnection { try await RawConnection.open(port: port, group: group) }

    /// Writes `request` on a new connection, each piece in a write of its own; answers what
    /// came back once the server closed it.
    func exchange(_ request: String...) async throws -> String {
        let connection = try await connect()
        for piece in request { try await connection.write(piece) }
        return try await connection.waitForClose()
    }

    func grpcEcho(_ text: String) async throws -> String {
        let client = try await GRPCClient.connect(host: "127.0.0.1", port: port, group: group).get()
        let answer = try await client.unary(path: "/test.Echo/Unary", request: Array(text.utf8))
        try await client.close().get()
        return String(decoding: answer, as: UTF8.self)
    }

    func shutdown() async throws {
        try await listener.close()
        try await group.shutdownGracefully()
    }
}

@Suite("client port: gRPC and HTTP/1.1 on one socket")
struct ClientPortTests {
    @Test("a gRPC call and an HTTP/1.1 GET /version are both answered on the one port")
    func bothProtocols() async throws {
        let fixture = try await ClientPortFixture()
        #expect(try await fixture.grpcEcho("hello") == "hello")
        let reply = try await fixture.exchange("GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(reply.contains("Content-Type: text/plain\r\n"))
        #expect(reply.hasSuffix("\r\n\r\nGET /version \n"))
        try await fixture.shutdown()
    }

    @Test("keep-alive: two requests on one connection, the second asks to close")
    func keepAlive() async throws {
        let fixture = try await ClientPortFixture()
        let reply = try await fixture.exchange(
            "GET /health HTTP/1.1\r\nHost: x\r\n\r\nPOST /v3/kv/range HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"key\":\"a\"}")
        #expect(reply.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(reply.contains("Connection: keep-alive\r\n"))
        #expect(reply.contains("GET /health \n"))
        #expect(reply.hasSuffix("POST /v3/kv/range {\"key\":\"a\"}\n"))
        try await fixture.shutdown()
    }

    @Test("an HTTP/1.1 connection without close stays open")
    func staysOpen() async throws {
        let fixture = try await ClientPortFixture()
        let connection = try await fixture.connect()
        try await connection.write("GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try await connection.waitForReply("the first answer") { $0.hasSuffix("GET /version \n") }
        // Still open: a second request on it is answered too.
        try await connection.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let reply = try await connection.waitForClose()
        #expect(reply.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(reply.hasSuffix("GET /health \n"))
        try await fixture.shutdown()
    }

    @Test("garbage gets 400 and a closed connection; gRPC still works afterwards")
    func garbage() async throws {
        let fixture = try await ClientPortFixture()
        let reply = try await fixture.exchange("\u{0}\u{1}garbage\r\n\r\n")
        #expect(reply.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(try await fixture.grpcEcho("still here") == "still here")
        try await fixture.shutdown()
    }

    @Test("a body over the limit is 413; a failed answer is 500; both close the connection")
    func limitsAndFailures() async throws {
        let fixture = try await ClientPortFixture()
        let body = String(repeating: "x", count: 2048)
        let tooLarge = try await fixture.exchange("POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n\(body)")
        #expect(tooLarge.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        let failed = try await fixture.exchange("GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(failed.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
        try await fixture.shutdown()
    }

    @Test("the preface decides as soon as the bytes diverge from it, and only when whole")
    func prefaceInPieces() async throws {
        let fixture = try await ClientPortFixture()
        // Shorter than the preface: decided by its first byte.
        let short = try await fixture.exchange("GET / HTTP/1.0\r\n\r\n")
        #expect(short.hasSuffix("GET / \n"))
        // "P" could be either; "OST" settles it.
        let post = try await fixture.exchange("P", "OST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
        #expect(post.hasSuffix("POST /x hi\n"))
        // The preface in two pieces, then an empty SETTINGS frame: the server answers with its own.
        let settings = "\u{0}\u{0}\u{0}\u{4}\u{0}\u{0}\u{0}\u{0}\u{0}"
        let http2 = try await fixture.connect()
        try await http2.write("PRI * HTTP/2.0\r\n")
        try await http2.write("\r\nSM\r\n\r\n" + settings)
        let frames = try await http2.waitForReply("the server's SETTINGS") { $0.utf8.count >= 9 }
        #expect(Array(frames.utf8).dropFirst(3).first == 4)
        try await http2.close()
        // Diverging only after 18 bytes still makes it HTTP/1.1, which rejects it.
        let almost = try await fixture.exchange("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")
        #expect(almost.hasPrefix("HTTP/1.1 400"))
        try await fixture.shutdown()
    }

    @Test("the selector holds bytes that are a prefix of the preface and decides on the byte that leaves it, in any split")
    func selectorInPieces() throws {
        func selector(after pieces: [String]) throws -> (decided: Bool, http2: Bool) {
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandler(ProtocolSelector(grpc: GRPCServer(methods: [:]), makeHTTP1Handlers: { [] }))
            // A request HTTP/1.1 rejects surfaces here as its decoder's error (the socket
            // test above sees the 400 it answers): only where the bytes went matters here.
            for piece in pieces { _ = try? channel.writeInbound(ByteBuffer(string: piece)) }
            let decided = (try? channel.pipeline.syncOperations.handler(type: ProtocolSelector.self)) == nil
            let http2 = (try? channel.pipeline.syncOperations.handler(type: HTTPResponseEncoder.self)) == nil
            _ = try? channel.finish()
            return (decided, decided && http2)
        }
        #expect(try selector(after: ["P"]).decided == false)
        #expect(try selector(after: ["PRI * HTTP/2.0\r\n", "\r\nSM\r\n"]).decided == false)
        #expect(try selector(after: ["P", "OST /x HTTP/1.1\r\n\r\n"]) == (true, false))
        #expect(try selector(after: ["PRI * HTTP/2.0\r\n", "\r\nSM\r\n\r\n"]) == (true, true))
        #expect(try selector(after: ["PRI * HTTP/2.0\r\n\r\nX"]) == (true, false))
        #expect(try selector(after: ["G"]) == (true, false))
    }
}
