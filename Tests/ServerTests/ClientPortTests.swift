import Foundation
import GRPC
import NIOCore
import NIOPosix
import Testing
import Server

/// Everything a server wrote on one connection until it closed it (or `timedOut` closed it
/// from this side).
final class ReplyCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private(set) var reply = ""
    var timedOut = false
    let closed: EventLoopPromise<Void>

    init(closed: EventLoopPromise<Void>) { self.closed = closed }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reply += String(buffer: unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) { closed.succeed() }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
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

    /// Writes `request` on a new connection, in pieces a moment apart; returns what came back
    /// until the server closed it, and whether it had to be closed from here after `wait`.
    func exchange(_ request: String..., wait: TimeAmount = .seconds(5)) async throws -> (reply: String, timedOut: Bool) {
        let collector = ReplyCollector(closed: group.next().makePromise())
        let channel = try await ClientBootstrap(group: collector.closed.futureResult.eventLoop)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
            .connect(host: "127.0.0.1", port: port).get()
        for (index, piece) in request.enumerated() {
            if index > 0 { try await Task.sleep(for: .milliseconds(20)) }
            try await channel.writeAndFlush(ByteBuffer(string: piece))
        }
        // The wait starts once everything is written: a loaded machine may take a while to
        // get the pieces out, and closing under a write would fail the write, not the check.
        channel.eventLoop.scheduleTask(in: wait) {
            collector.timedOut = true
            channel.close(promise: nil)
        }
        try await collector.closed.futureResult.get()
        return try await channel.eventLoop.submit { (collector.reply, collector.timedOut) }.get()
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
        let (reply, timedOut) = try await fixture.exchange("GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(!timedOut)
        #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(reply.contains("Content-Type: text/plain\r\n"))
        #expect(reply.hasSuffix("\r\n\r\nGET /version \n"))
        try await fixture.shutdown()
    }

    @Test("keep-alive: two requests on one connection, the second asks to close")
    func keepAlive() async throws {
        let fixture = try await ClientPortFixture()
        let (reply, timedOut) = try await fixture.exchange(
            "GET /health HTTP/1.1\r\nHost: x\r\n\r\nPOST /v3/kv/range HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"key\":\"a\"}")
        #expect(!timedOut)
        #expect(reply.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(reply.contains("Connection: keep-alive\r\n"))
        #expect(reply.contains("GET /health \n"))
        #expect(reply.hasSuffix("POST /v3/kv/range {\"key\":\"a\"}\n"))
        try await fixture.shutdown()
    }

    @Test("an HTTP/1.1 connection without close stays open")
    func staysOpen() async throws {
        let fixture = try await ClientPortFixture()
        let (reply, timedOut) = try await fixture.exchange("GET /version HTTP/1.1\r\nHost: x\r\n\r\n", wait: .milliseconds(300))
        #expect(timedOut)
        #expect(reply.hasSuffix("GET /version \n"))
        try await fixture.shutdown()
    }

    @Test("garbage gets 400 and a closed connection; gRPC still works afterwards")
    func garbage() async throws {
        let fixture = try await ClientPortFixture()
        let (reply, timedOut) = try await fixture.exchange("\u{0}\u{1}garbage\r\n\r\n")
        #expect(!timedOut)
        #expect(reply.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(try await fixture.grpcEcho("still here") == "still here")
        try await fixture.shutdown()
    }

    @Test("a body over the limit is 413; a failed answer is 500; both close the connection")
    func limitsAndFailures() async throws {
        let fixture = try await ClientPortFixture()
        let body = String(repeating: "x", count: 2048)
        let (tooLarge, tooLargeTimedOut) = try await fixture.exchange("POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n\(body)")
        #expect(!tooLargeTimedOut)
        #expect(tooLarge.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        let (failed, failedTimedOut) = try await fixture.exchange("GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(!failedTimedOut)
        #expect(failed.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
        try await fixture.shutdown()
    }

    @Test("the preface decides as soon as the bytes diverge from it, and only when whole")
    func prefaceInPieces() async throws {
        let fixture = try await ClientPortFixture()
        // Shorter than the preface: decided by its first byte.
        let (short, shortTimedOut) = try await fixture.exchange("GET / HTTP/1.0\r\n\r\n")
        #expect(!shortTimedOut)
        #expect(short.hasSuffix("GET / \n"))
        // "P" could be either; "OST" settles it.
        let (post, _) = try await fixture.exchange("P", "OST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
        #expect(post.hasSuffix("POST /x hi\n"))
        // The preface in two pieces, then an empty SETTINGS frame: the server answers with its own.
        let settings = "\u{0}\u{0}\u{0}\u{4}\u{0}\u{0}\u{0}\u{0}\u{0}"
        let (http2, _) = try await fixture.exchange("PRI * HTTP/2.0\r\n", "\r\nSM\r\n\r\n" + settings, wait: .milliseconds(300))
        #expect(Array(http2.utf8).dropFirst(3).first == 4)
        // Diverging only after 18 bytes still makes it HTTP/1.1, which rejects it.
        let (almost, almostTimedOut) = try await fixture.exchange("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")
        #expect(!almostTimedOut)
        #expect(almost.hasPrefix("HTTP/1.1 400"))
        try await fixture.shutdown()
    }
}
