import Foundation
import NIOCore
import NIOPosix
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

    @Test("curl speaks to it with prior knowledge", .enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/curl")))
    func curl() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try Self.startServer(group: group)
        defer { try? server.close().wait() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--http2-prior-knowledge", "http://127.0.0.1:\(server.localAddress!.port!)/version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        #expect(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "/version")
    }

    @Test("garbage on the port closes that connection; the server keeps serving")
    func garbage() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try Self.startServer(group: group)
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!
        let raw = try ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).wait()
        try raw.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n")).wait()
        try raw.closeFuture.wait()
        try curl()
    }
}
