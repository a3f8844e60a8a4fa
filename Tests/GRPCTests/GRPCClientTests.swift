import Foundation
@testable import GRPC
import HTTP2
import NIOCore
import NIOPosix
import TestSupport
import Testing
import Wire

/// Methods for the client to call, on a real GRPCServer.
enum TestMethods {
    /// Answers "<request>|<token header>|<grpc-timeout header>".
    static let echo: GRPCMethod = { call in
        var request: [UInt8] = []
        call.onMessage = { request = $0 }
        call.onEnd = {
            let answer = String(decoding: request, as: UTF8.self) + "|" + (call.headers["token"] ?? "") + "|" + (call.headers["grpc-timeout"] ?? "")
            call.send(Array(answer.utf8))
            call.finish(.ok)
        }
    }
    /// Ends every call with FAILED_PRECONDITION and a message outside ASCII.
    static let fail: GRPCMethod = { call in
        call.onEnd = { call.finish(GRPCStatus(code: .failedPrecondition, message: failure)) }
    }
    static let failure = "etcdserver: 鍵が見つかりません – 100% ünïcödé\n"
    /// Answers every message with itself, until the client ends.
    static let bidiEcho: GRPCMethod = { call in
        call.onMessage = { call.send($0) }
        call.onEnd = { call.finish(.ok) }
    }

    /// All of the above, and "/test.Echo/Hang", which never answers and calls `arrived`.
    static func all(hang arrived: @escaping @Sendable () -> Void) -> [String: GRPCMethod] {
        ["/test.Echo/Unary": echo, "/test.Echo/Fail": fail, "/test.Echo/Bidi": bidiEcho, "/test.Echo/Hang": { _ in arrived() }]
    }
}

/// The server side of every connection a listener accepted.
final class AcceptedChannels: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [Channel] = []

    func append(_ channel: Channel) { lock.withLock { channels.append(channel) } }

    func closeAll() async throws {
        for channel in lock.withLock({ channels }) { try await channel.close() }
    }
}

/// A server whose accepted connections the test can close, and a client connected to it.
final class ClientFixture: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let listener: Channel
    let client: GRPCClient
    let accepted: AcceptedChannels
    /// One element each time a hanging call reaches the server.
    let hangs: AsyncStream<Void>

    init(methods: [String: GRPCMethod]? = nil, maxMessageBytes: Int = 2 << 20) async throws {
        let (hangs, arrived) = AsyncStream<Void>.makeStream()
        self.hangs = hangs
        let server = GRPCServer(methods: methods ?? TestMethods.all { arrived.yield() }, maxMessageBytes: maxMessageBytes)
        let accepted = AcceptedChannels()
        self.accepted = accepted
        listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                accepted.append(channel)
                return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(server.connectionHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        client = try await GRPCClient.connect(host: "127.0.0.1", port: listener.localAddress!.port!, group: group).get()
    }

    func shutdown() async throws {
        try await client.close().get()
        try await listener.close()
        try await group.shutdownGracefully()
    }
}

/// The status a call threw, nil when it succeeded.
func status<T>(of body: () async throws(GRPCStatus) -> T) async -> GRPCStatus? {
    do { _ = try await body() } catch { return error }
    return nil
}

@Suite("gRPC client against GRPCServer")
struct GRPCClientTests {
    @Test("a unary call gets its answer; metadata and grpc-timeout reach the server")
    func unary() async throws {
        let fixture = try await ClientFixture()
        let answer = try await fixture.client.unary(
            path: "/test.Echo/Unary", request: Array("hello".utf8), timeout: .milliseconds(100), metadata: [HTTP2Header("token", "secret")])
        #expect(String(decoding: answer, as: UTF8.self) == "hello|secret|100m")
        try await fixture.shutdown()
    }

    @Test("an error status comes back with its message, non-ASCII included")
    func errorStatus() async throws {
        let fixture = try await ClientFixture()
        let failed = await status { () async throws(GRPCStatus) in try await fixture.client.unary(path: "/test.Echo/Fail", request: []) }
        #expect(failed == GRPCStatus(code: .failedPrecondition, message: TestMethods.failure))
        try await fixture.shutdown()
    }

    @Test("an unknown method is UNIMPLEMENTED")
    func unknownMethod() async throws {
        let fixture = try await ClientFixture()
        let failed = await status { () async throws(GRPCStatus) in try await fixture.client.unary(path: "/test.Echo/Nope", request: []) }
        #expect(failed?.code == .unimplemented)
        #expect(failed?.message == "unknown method /test.Echo/Nope")
        try await fixture.shutdown()
    }

    @Test("a server that never answers runs into the deadline")
    func deadline() async throws {
        let fixture = try await ClientFixture()
        // Hang never answers: only the deadline can end the call, with DEADLINE_EXCEEDED.
        let failed = await status { () async throws(GRPCStatus) in
            try await fixture.client.unary(path: "/test.Echo/Hang", request: [], timeout: .milliseconds(100))
        }
        #expect(failed == .deadlineExceeded())
        try await fixture.shutdown()
    }

    @Test("a request over the server's limit is RESOURCE_EXHAUSTED; a response over the client's is too")
    func messageTooLarge() async throws {
        let fixture = try await ClientFixture(maxMessageBytes: 1024)
        let failed = await status { () async throws(GRPCStatus) in
            try await fixture.client.unary(path: "/test.Echo/Unary", request: [UInt8](repeating: 7, count: 4096))
        }
        #expect(failed?.code == .resourceExhausted)
        #expect(failed?.message == "grpc: received message larger than max (4096 vs. 1024)")
        // The connection is still good.
        let answer = try await fixture.client.unary(path: "/test.Echo/Unary", request: Array("small".utf8))
        #expect(String(decoding: answer, as: UTF8.self) == "small||")
        let small = try await GRPCClient.connect(host: "127.0.0.1", port: fixture.listener.localAddress!.port!, group: fixture.group, maxMessageBytes: 4).get()
        let refused = await status { () async throws(GRPCStatus) in try await small.unary(path: "/test.Echo/Unary", request: Array("long".utf8)) }
        #expect(refused?.code == .resourceExhausted)
        try await small.close().get()
        try await fixture.shutdown()
    }

    @Test("the server's side of the connection closing mid-call is UNAVAILABLE, for later calls too")
    func connectionLost() async throws {
        let fixture = try await ClientFixture()
        async let hung = status { () async throws(GRPCStatus) in try await fixture.client.unary(path: "/test.Echo/Hang", request: []) }
        for await _ in fixture.hangs { break }
        try await fixture.accepted.closeAll()
        let failed = await hung
        #expect(failed?.code == .unavailable)
        #expect(failed?.message == "grpc: the connection to \(fixture.client.authority) closed")
        let later = await status { () async throws(GRPCStatus) in try await fixture.client.unary(path: "/test.Echo/Unary", request: []) }
        #expect(later?.code == .unavailable)
        try await fixture.shutdown()
    }

    @Test("keepalive: answered PINGs keep a connection; a server that stops answering is dropped as UNAVAILABLE")
    func keepAlive() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let quick = HTTP2ConnectionHandler.KeepAlive(interval: .milliseconds(30), timeout: .milliseconds(150))
        let server = try await GRPCServer(methods: TestMethods.all {}, keepAlive: quick).start(group: group, host: "127.0.0.1", port: 0).get()
        let alive = try await GRPCClient.connect(host: "127.0.0.1", port: server.localAddress!.port!, group: group, keepAlive: quick).get()
        // Ten answered PINGs span nine intervals (270 ms), longer than the timeout: answers,
        // not a lack of time, kept the connection.
        try await eventually("ten answered PINGs") {
            try await alive.eventLoop.submit { alive.connection.pingsAnswered >= 10 }.get()
        }
        let answer = try await alive.unary(path: "/test.Echo/Unary", request: Array("still here".utf8))
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("still here"))
        try await alive.close().get()
        try await server.close()

        // A listener that accepts and reads but never speaks HTTP/2 back: no PING is answered.
        let silent = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let client = try await GRPCClient.connect(host: "127.0.0.1", port: silent.localAddress!.port!, group: group, keepAlive: quick).get()
        // The call has no deadline: only the unanswered PING can end it.
        let failed = await status { () async throws(GRPCStatus) in try await client.unary(path: "/test.Echo/Unary", request: []) }
        #expect(failed?.code == .unavailable)
        #expect(try await client.eventLoop.submit { client.connection.pingsAnswered }.get() == 0)
        try await silent.close()
        try await group.shutdownGracefully()
    }

    @Test("no server on the port: connect fails with UNAVAILABLE")
    func connectRefused() async throws {
        let fixture = try await ClientFixture()
        let port = fixture.listener.localAddress!.port!
        try await fixture.shutdown()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        await #expect(throws: GRPCStatus.self) { try await GRPCClient.connect(host: "127.0.0.1", port: port, group: group).get() }
        try await group.shutdownGracefully()
    }

    @Test("a cancelled task cancels its call")
    func cancellation() async throws {
        let fixture = try await ClientFixture()
        let task = Task { await status { () async throws(GRPCStatus) in try await fixture.client.unary(path: "/test.Echo/Hang", request: []) } }
        for await _ in fixture.hangs { break }
        task.cancel()
        #expect(await task.value == .cancelled())
        try await fixture.shutdown()
    }

    @Test("50 concurrent calls on one connection each get their own answer")
    func concurrentCalls() async throws {
        let fixture = try await ClientFixture()
        let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<50 {
                group.addTask {
                    let answer = try await fixture.client.unary(path: "/test.Echo/Unary", request: Array("call \(i)".utf8))
                    return (i, String(decoding: answer, as: UTF8.self))
                }
            }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        #expect(answers.count == 50)
        #expect(answers.allSatisfy { $0.value == "call \($0.key)||" })
        try await fixture.shutdown()
    }

    @Test("a bidirectional call streams messages both ways")
    func bidirectional() async throws {
        let fixture = try await ClientFixture()
        final class Received: @unchecked Sendable { var messages: [String] = [] }
        let received = Received()
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<GRPCStatus, Never>) in
            let call = fixture.client.makeCall(
                path: "/test.Echo/Bidi",
                onMessage: { received.messages.append(String(decoding: $0, as: UTF8.self)) },
                onFinish: { continuation.resume(returning: $0) })
            for word in ["one", "two", "three"] { call.send(Array(word.utf8)) }
            call.closeSend()
        }
        #expect(status == .ok)
        #expect(received.messages == ["one", "two", "three"])
        try await fixture.shutdown()
    }

    @Test("typed unary calls put and get through etcd's messages")
    func typedUnary() async throws {
        let fixture = try await ClientFixture(methods: DirectKV().methods)
        let _: PutResponse = try await fixture.client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data("k".utf8), value: Data("v".utf8)))
        let range: RangeResponse = try await fixture.client.unary("/etcdserverpb.KV/Range", RangeRequest(key: Data("k".utf8)))
        #expect(range.kvs.map(\.value) == [Data("v".utf8)])
        try await fixture.shutdown()
    }

    @Test("grpc-timeout: the coarsest exact unit, else rounded up; parsing saturates")
    func timeouts() {
        #expect(GRPCTimeout.encode(.milliseconds(100)) == "100m")
        #expect(GRPCTimeout.encode(.seconds(7200)) == "2H")
        #expect(GRPCTimeout.encode(.nanoseconds(123_456_789)) == "123457u")
        #expect(GRPCTimeout.encode(.nanoseconds(.max)) == "2562048H")
        #expect(GRPCTimeout.parse("100m") == .milliseconds(100))
        #expect(GRPCTimeout.parse("99999999H") == .nanoseconds(.max))
        #expect(GRPCTimeout.parse("-1S") == nil)
        #expect(GRPCTimeout.parse("5x") == nil)
    }

    @Test("grpc-message: percent-decoding keeps what is not an escape")
    func messageDecoding() {
        #expect(GRPCStatus.decodeMessage("caf%C3%A9 100%25") == "café 100%")
        #expect(GRPCStatus.decodeMessage("50% off %zz %4") == "50% off %zz %4")
        #expect(GRPCStatus.decodeMessage(GRPCStatus(code: .unknown, message: TestMethods.failure).encodedMessage) == TestMethods.failure)
    }
}
