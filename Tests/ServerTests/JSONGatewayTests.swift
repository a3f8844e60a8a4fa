import Foundation
import GRPC
import NIOCore
import NIOPosix
import Testing
import Wire
@testable import Gateway
@testable import Server

/// Raw HTTP/1.1 on a new connection to `port`: what came back until the server closed it,
/// with the Date header's value blanked.
func rawHTTP(_ request: String, port: Int, group: EventLoopGroup) async throws -> String {
    let connection = try await RawConnection.open(port: port, group: group)
    try await connection.write(request)
    return maskDate(try await connection.waitForClose())
}

/// Raw HTTP/1.1 on a new connection to `port` whose answer streams on: what came back once it
/// satisfies `condition` (the connection still open), which then is closed from here.
func rawHTTP(_ request: String, port: Int, group: EventLoopGroup,
             until condition: @escaping @Sendable (String) -> Bool) async throws -> String {
    let connection = try await RawConnection.open(port: port, group: group)
    try await connection.write(request)
    let reply = try await connection.waitForReply("the streamed answer") { condition(maskDate($0)) }
    try await connection.close()
    return maskDate(reply)
}

private func maskDate(_ reply: String) -> String {
    reply.replacingOccurrences(of: #"Date: [^\r]*"#, with: "Date: -", options: .regularExpression)
}

/// A POST of `body` to `path`, asking to close the connection after the answer.
func gatewayPost(_ path: String, _ body: String, version: String = "HTTP/1.1") -> String {
    "POST \(path) \(version)\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
}

/// A client port with the JSON gateway in front of made-up gRPC methods of etcd's names.
final class JSONGatewayFixture: Sendable {
    let group: MultiThreadedEventLoopGroup
    let listener: Channel
    var port: Int { listener.localAddress!.port! }

    init() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        self.group = group
        let grpc = GRPCServer(methods: [
            // Answers with what it was asked, so the test sees the request's decoding too.
            "/etcdserverpb.KV/Range": GRPCServer.unary { (request: RangeRequest, reply: @escaping @Sendable (Result<RangeResponse, GRPCStatus>) -> Void) in
                reply(.success(RangeResponse(header: ResponseHeader(clusterID: 1, memberID: 2, revision: 3, raftTerm: 4),
                                             kvs: [KeyValue(key: request.key, lease: request.limit)], count: 1)))
            },
            "/etcdserverpb.KV/Put": GRPCServer.unary { (_: PutRequest, reply: @escaping @Sendable (Result<PutResponse, GRPCStatus>) -> Void) in
                reply(.failure(GRPCStatus(code: .invalidArgument, message: "etcdserver: key is not provided")))
            },
            // Ferry's Watch: a created response for each create; the client's end ends the call.
            "/etcdserverpb.Watch/Watch": { call in
                call.onMessage = { bytes in
                    guard case .createRequest(let create)? = (try? WatchRequest(serializedBytes: bytes))?.requestUnion else { return }
                    call.send(WatchResponse(watchID: Int64(create.key.count), created: true).serializedBytes())
                }
                call.onEnd = { call.finish(.ok) }
            },
            "/etcdserverpb.Lease/LeaseKeepAlive": { call in
                call.onMessage = { bytes in
                    guard let request = try? LeaseKeepAliveRequest(serializedBytes: bytes) else { return }
                    call.send(LeaseKeepAliveResponse(id: request.id, ttl: 60).serializedBytes())
                }
                call.onEnd = { call.finish(.ok) }
            },
        ])
        listener = try await ClientPort.start(group: group, host: "127.0.0.1", port: 0, grpc: grpc, jsonGateway: true) { head, _ in
            group.next().makeSucceededFuture((status: .ok, contentType: "text/plain", body: "http1 \(head.uri)\n"))
        }.get()
    }

    func exchange(_ request: String) async throws -> String {
        try await rawHTTP(request, port: port, group: group)
    }

    func shutdown() async throws {
        try await listener.close()
        try await group.shutdownGracefully()
    }
}

@Suite("JSON gateway: etcd's HTTP answers over a real socket")
struct JSONGatewayTests {
    static let cors = "Access-Control-Allow-Headers: accept, content-type, authorization\r\n"
        + "Access-Control-Allow-Methods: POST, GET, OPTIONS, PUT, DELETE\r\nAccess-Control-Allow-Origin: *\r\n"

    @Test("a unary call: the request read from JSON (an int64 past a Double's precision too), the answer as etcd writes it")
    func unary() async throws {
        let fixture = try await JSONGatewayFixture()
        let reply = try await fixture.exchange(gatewayPost("/v3/kv/range", #"{"key":"Zm9v","limit":9007199254740993} trailing"#))
        let body = #"{"header":{"cluster_id":"1","member_id":"2","revision":"3","raft_term":"4"},"kvs":[{"key":"Zm9v","lease":"9007199254740993"}],"count":"1"}"#
        #expect(reply == "HTTP/1.1 200 OK\r\n" + Self.cors + "Content-Type: application/json\r\nGrpc-Metadata-Content-Type: application/grpc\r\n"
            + "Date: -\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
        let beta = try await fixture.exchange(gatewayPost("/v3beta/kv/range", #"{"key":"Zm9v"}"#))
        #expect(beta.hasPrefix("HTTP/1.1 200 OK\r\n") && beta.hasSuffix(#""kvs":[{"key":"Zm9v"}],"count":"1"}"#))
        try await fixture.shutdown()
    }

    @Test("a gRPC error: its HTTP status, the error body, the trailer metadata in a chunked trailer")
    func grpcError() async throws {
        let fixture = try await JSONGatewayFixture()
        let reply = try await fixture.exchange(gatewayPost("/v3/kv/put", #"{"key":"Zm9v"}"#))
        let body = #"{"error":"etcdserver: key is not provided","message":"etcdserver: key is not provided","code":3}"#
        #expect(reply == "HTTP/1.1 400 Bad Request\r\n" + Self.cors + "Content-Type: application/json\r\nTrailer: Grpc-Trailer-Content-Type\r\n"
            + "Date: -\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
            + String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n0\r\nGrpc-Trailer-Content-Type: application/grpc\r\n\r\n")
        // HTTP/1.0 has no chunks and no trailers: the body ends with the connection.
        let old = try await fixture.exchange(gatewayPost("/v3/kv/put", "{}", version: "HTTP/1.0"))
        #expect(old.hasPrefix("HTTP/1.0 400 Bad Request\r\n") && old.hasSuffix("Date: -\r\n\r\n" + body))
        try await fixture.shutdown()
    }

    @Test("a body that is no request: 400 with the reason, before any call")
    func badJSON() async throws {
        let fixture = try await JSONGatewayFixture()
        let cut = try await fixture.exchange(gatewayPost("/v3/kv/range", #"{"key":"Zm9v""#))
        #expect(cut.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(cut.hasSuffix("Content-Length: 62\r\nConnection: close\r\n\r\n" + #"{"error":"unexpected EOF","message":"unexpected EOF","code":3}"#))
        let array = try await fixture.exchange(gatewayPost("/v3/kv/range", "[]"))
        let message = "json: cannot unmarshal array into Go value of type map[string]json.RawMessage"
        #expect(array.hasSuffix(#"{"error":"\#(message)","message":"\#(message)","code":3}"#))
        let wrongType = try await fixture.exchange(gatewayPost("/v3/kv/range", #"{"key":12}"#))
        #expect(wrongType.hasPrefix("HTTP/1.1 400 Bad Request\r\n") && wrongType.contains(#""code":3}"#))
        try await fixture.shutdown()
    }

    @Test("other methods and paths: 405, 404, OPTIONS, and the rest to the next handler on the same connection")
    func routing() async throws {
        let fixture = try await JSONGatewayFixture()
        let get = try await fixture.exchange("GET /v3/kv/range HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(get == "HTTP/1.1 405 Method Not Allowed\r\n" + Self.cors + "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
            + "Date: -\r\nContent-Length: 19\r\nConnection: close\r\n\r\nMethod Not Allowed\n")
        let unknown = try await fixture.exchange(gatewayPost("/v3/kv/nothing", "{}"))
        #expect(unknown.hasPrefix("HTTP/1.1 404 Not Found\r\n") && unknown.hasSuffix("\r\n\r\nNot Found\n"))
        let options = try await fixture.exchange("OPTIONS /v3/kv/range HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(options == "HTTP/1.1 200 OK\r\n" + Self.cors + "Date: -\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        let both = try await fixture.exchange(
            "POST /v3/kv/range HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(both.contains(#""count":"1"}HTTP/1.1 200 OK"#) && both.hasSuffix("http1 /health\n"))
        try await fixture.shutdown()
    }

    @Test("Watch: each response a {\"result\":...} line as it comes; the stream stays open after the body")
    func watchStream() async throws {
        let fixture = try await JSONGatewayFixture()
        let body = #"{"create_request":{"key":"YQ=="}} {"create_request":{"key":"YWI="}}"#
        let first = #"{"result":{"watch_id":"1","created":true}}"# + "\n"
        let second = #"{"result":{"watch_id":"2","created":true}}"# + "\n"
        // Both answers arrive while the connection stays open past the request's body.
        let reply = try await rawHTTP(gatewayPost("/v3/watch", body), port: fixture.port, group: fixture.group) {
            $0.contains(first) && $0.contains(second)
        }
        #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n" + Self.cors + "Content-Type: application/json\r\nGrpc-Metadata-Content-Type: application/grpc\r\n"
            + "Date: -\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"))
        #expect(reply.contains(first) && reply.contains(second) && !reply.hasSuffix("0\r\n\r\n"))
        // A first value that is no WatchRequest fails the call as the gateway's own error.
        let bad = try await fixture.exchange(gatewayPost("/v3/watch", "[1]"))
        #expect(bad.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n") && bad.hasSuffix(#""code":2}"#))
        try await fixture.shutdown()
    }

    @Test("LeaseKeepAlive: one line per request, and the end of the body ends the answer")
    func keepAliveStream() async throws {
        let fixture = try await JSONGatewayFixture()
        let reply = try await fixture.exchange(gatewayPost("/v3/lease/keepalive", #"{"ID":"42"}{"ID":"43"}"#))
        let lines = #"{"result":{"ID":"42","TTL":"60"}}"# + "\n" + #"{"result":{"ID":"43","TTL":"60"}}"# + "\n"
        #expect(reply.replacingOccurrences(of: #"\r\n[0-9a-f]+\r\n"#, with: "", options: .regularExpression).contains(lines))
        #expect(reply.hasSuffix("0\r\n\r\n"))
        try await fixture.shutdown()
    }

    @Test("a real member: Put, Range and Watch through the gateway reach its KV and Watch services")
    func member() async throws {
        let directory = NSTemporaryDirectory() + "ferry-gateway-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (server, client) = try await MemberServerTests.start(directory, group: group)
        let warm = try await MemberServerTests().put(client, "warm", "up")  // waits for the leader
        let port = try #require(server.clientChannels.first?.localAddress?.port)
        let (cluster, member, term) = (server.node.options.clusterID, server.node.options.memberID, warm.header?.raftTerm ?? 0)
        let header = { (revision: Int) in #"{"cluster_id":"\#(cluster)","member_id":"\#(member)","revision":"\#(revision)","raft_term":"\#(term)"}"# }

        let put = try await rawHTTP(gatewayPost("/v3/kv/put", #"{"key":"Zm9v","value":"YmFy"}"#), port: port, group: group)
        #expect(put.hasSuffix("\r\n\r\n" + #"{"header":"# + header(3) + "}"))
        let range = try await rawHTTP(gatewayPost("/v3/kv/range", #"{"key":"Zm9v"}"#), port: port, group: group)
        #expect(range.hasSuffix("\r\n\r\n" + #"{"header":"# + header(3)
            + #","kvs":[{"key":"Zm9v","create_revision":"3","mod_revision":"3","version":"1","value":"YmFy"}],"count":"1"}"#))
        let watch = #"{"create_request":{"key":"Zm9v","start_revision":"3"}}"#
        let event = #""events":[{"kv":{"key":"Zm9v","create_revision":"3","mod_revision":"3","version":"1","value":"YmFy"}}]}}"#
        let events = try await rawHTTP(gatewayPost("/v3/watch", watch), port: port, group: group) { $0.contains(event) }
        #expect(events.contains(#""created":true}}"#))

        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }
}
