import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing
@testable import HTTP2

@Suite("HTTP/2 over real sockets")
struct SocketTests {
    /// A server that answers every request with 200 and its path as the body.
    static func startServer(group: EventLoopGroup) throws -> Channel {
        try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionHandler(role: .server) { handler, event in
                        guard case .headers(let stream, let headers, _) = event else { return }
                        try? handler.session.respond(stream: stream, [HTTP2Header(":status", "200")], endStream: false)
                        try? handler.session.send(stream: stream, Array((headers[":path"] ?? "").utf8), endStream: true)
                    })
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    @Test("a client on a TCP connection gets its response")
    func clientServer() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try Self.startServer(group: group)
        defer { try? server.close().wait() }
        let done = group.next().makePromise(of: String.self)
        final class Collector: @unchecked Sendable { var body: [UInt8] = [] }
        let collector = Collector()
        let client = try ClientBootstrap(group: group).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionHandler(role: .client) { handler, event in
                    switch event {
                    case .data(let stream, let bytes):
                        collector.body += bytes
                        handler.session.consume(stream: stream, count: bytes.count)
                    case .endStream: done.succeed(String(decoding: collector.body, as: UTF8.self))
                    default: break
                    }
                })
            }
        }.connect(host: "127.0.0.1", port: server.localAddress!.port!).wait()
        defer { try? client.close().wait() }
        try client.eventLoop.submit {
            let handler = try client.pipeline.syncOperations.handler(type: HTTP2ConnectionHandler.self)
            _ = try handler.session.request([
                HTTP2Header(":method", "GET"), HTTP2Header(":scheme", "http"),
                HTTP2Header(":path", "/raft/probing"), HTTP2Header(":authority", "127.0.0.1"),
            ], endStream: true)
            handler.flush()
        }.wait()
        #expect(try done.futureResult.wait() == "/raft/probing")
    }

    /// `curl --http2-prior-knowledge` GET of `path` on `port`: the body it printed.
    static func curl(port: Int, _ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--http2-prior-knowledge", "http://127.0.0.1:\(port)\(path)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test("curl speaks to it with prior knowledge", .enabled(if: canRun(needing: "/usr/bin/curl")))
    func curl() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try Self.startServer(group: group)
        defer { try? server.close().wait() }
        #expect(try Self.curl(port: server.localAddress!.port!, "/version") == "/version")
    }

    /// What a raw connection read until the server closed it.
    final class RawReader: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        struct Seen: Sendable {
            var bytes: [UInt8] = []
            var closed = false
        }
        let seen = Observed(Seen())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            seen.update { $0.bytes += bytes }
        }

        func channelInactive(context: ChannelHandlerContext) { seen.update { $0.closed = true } }
    }

    @Test("garbage on the port gets a GOAWAY and a closed connection; the same server keeps serving", .enabled(if: canRun(needing: "/usr/bin/curl")))
    func garbage() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try Self.startServer(group: group)
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!
        let reader = RawReader()
        let raw = try ClientBootstrap(group: group)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(reader) } }
            .connect(host: "127.0.0.1", port: port).wait()
        defer { raw.close(promise: nil) }
        try raw.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n")).wait()
        let seen = try reader.seen.waitBlocking(for: "the server to close the garbage connection") { $0.closed }
        // Frames of 9-byte headers: the server's SETTINGS, then a GOAWAY (type 7).
        var frames: [UInt8] = []
        var offset = 0
        while offset + 9 <= seen.bytes.count {
            frames.append(seen.bytes[offset + 3])
            offset += 9 + (Int(seen.bytes[offset]) << 16 | Int(seen.bytes[offset + 1]) << 8 | Int(seen.bytes[offset + 2]))
        }
        #expect(frames.last == 7, "frame types \(frames)")
        #expect(try Self.curl(port: port, "/after") == "/after")
    }
}
