import Foundation
import GRPC
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import TestSupport
import Testing
import Wire
@testable import Server

/// A single member in this process on real sockets and files, driven by Ferry's own gRPC client.
@Suite("a member serves etcd's KV service through raft and recovers from its data dir", .serialized)
struct MemberServerTests {
    static func configuration(_ directory: String, _ more: [String: String] = [:]) throws -> ServerConfiguration {
        try ServerConfiguration(flags: more.merging([
            "name": "solo", "data-dir": directory,
            "listen-client-urls": "http://127.0.0.1:0", "advertise-client-urls": "http://127.0.0.1:2379",
            "listen-peer-urls": "http://127.0.0.1:0", "initial-advertise-peer-urls": "http://127.0.0.1:2380",
            "initial-cluster": "solo=http://127.0.0.1:2380",
            "heartbeat-interval": "10", "election-timeout": "100", "max-request-bytes": "10000",
        ]) { mine, _ in mine })
    }

    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// Starts the member and a client on its client port; puts until a leader takes writes.
    static func start(_ directory: String, group: EventLoopGroup) async throws -> (MemberServer, GRPCClient) {
        let server = try MemberServer.start(try configuration(directory), logger: logger)
        let port = try #require(server.clientChannels.first?.localAddress?.port)
        let client = try await GRPCClient.connect(host: "127.0.0.1", port: port, group: group).get()
        return (server, client)
    }

    func put(_ client: GRPCClient, _ key: String, _ value: String) async throws(GRPCStatus) -> PutResponse {
        try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data(key.utf8), value: Data(value.utf8)), timeout: .seconds(10))
    }

    func range(_ client: GRPCClient, _ key: String, revision: Int64 = 0, serializable: Bool = false) async throws(GRPCStatus) -> RangeResponse {
        try await client.unary("/etcdserverpb.KV/Range",
                               RangeRequest(key: Data(key.utf8), revision: revision, serializable: serializable), timeout: .seconds(10))
    }

    @Test("a snapshot every --snapshot-count entries: the KV file and raft's .snap appear, old ones are purged to --max-snapshots, a write a stop interrupted is cleared at start, a restart holds everything")
    func snapshotsOffTheLoop() async throws {
        let directory = NSTemporaryDirectory() + "ferry-member-snap-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try Self.configuration(directory, ["snapshot-count": "50", "max-snapshots": "2"])
        func start() async throws -> (MemberServer, GRPCClient) {
            let server = try MemberServer.start(configuration, logger: Self.logger)
            let port = try #require(server.clientChannels.first?.localAddress?.port)
            return (server, try await GRPCClient.connect(host: "127.0.0.1", port: port, group: group).get())
        }
        let snapDirectory = directory + "/member/snap"
        func names(_ suffix: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: snapDirectory)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
        }

        var (server, client) = try await start()
        for i in 0..<240 { _ = try await put(client, "key\(i % 30)", String(repeating: "v", count: i)) }
        // Snapshots are written off the loop: the member settles a little after the puts, with
        // no snapshot being written and none due.
        let node = server.node
        try await eventually("the member's snapshots settled") {
            try await node.eventLoop.submit {
                node.snapshots.isSettled(applied: node.appliedIndex)
            }.get()
        }
        #expect(names(".snap").count == 2)
        #expect(names(".snap.db").count == 2)
        #expect(names(".tmp").isEmpty)
        let before = try await range(client, "key7")
        try await client.close().get()
        server.stop()

        let leftover = snapDirectory + "/00000000000000ff.snap.db.tmp"
        #expect(FileManager.default.createFile(atPath: leftover, contents: Data(count: 100)))
        (server, client) = try await start()
        #expect(!FileManager.default.fileExists(atPath: leftover))
        // What the WAL had committed is applied before the member serves: it answers from no
        // older state than it did before the stop, not even a serializable read at once.
        let restarted = server.node
        #expect(try await restarted.eventLoop.submit { restarted.kv.revision }.get() == before.header?.revision)
        let after = try await range(client, "key7", serializable: true)
        #expect(after.kvs == before.kvs)
        #expect(after.header?.revision == before.header?.revision)
        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }

    @Test("Put, Range, Txn, DeleteRange and Compact with etcd's headers and errors; a restart keeps everything")
    func kvThroughRaftAndRestart() async throws {
        let directory = NSTemporaryDirectory() + "ferry-member-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let expected = try Self.configuration(directory)

        var (server, client) = try await Self.start(directory, group: group)
        let first = try await put(client, "k", "v1")
        let header = try #require(first.header)
        #expect(header.clusterID == expected.clusterID)
        #expect(header.memberID == expected.memberID)
        #expect(header.revision == 2)
        #expect(header.raftTerm >= 2)
        _ = try await put(client, "k", "v2")
        let members = server.node.transportMembers()
        #expect(members?.hasPrefix("[{\"id\":\(expected.memberID),\"peerURLs\":[\"http://127.0.0.1:2380\"]") == true)

        let linearizable = try await range(client, "k")
        #expect(linearizable.kvs.map { String(decoding: $0.value, as: UTF8.self) } == ["v2"])
        #expect(linearizable.kvs.first?.version == 2)
        #expect(linearizable.header?.memberID == expected.memberID)
        let serializable = try await range(client, "k", serializable: true)
        #expect(serializable.kvs.count == 1)
        let old = try await range(client, "k", revision: 2)
        #expect(old.kvs.map { String(decoding: $0.value, as: UTF8.self) } == ["v1"])

        let compare = Compare(result: .equal, target: .value, key: Data("k".utf8), targetUnion: .value(Data("v2".utf8)))
        let swap = TxnRequest(compare: [compare],
                              success: [RequestOp(request: .requestPut(PutRequest(key: Data("k".utf8), value: Data("v3".utf8))))],
                              failure: [RequestOp(request: .requestRange(RangeRequest(key: Data("k".utf8))))])
        let swapped: TxnResponse = try await client.unary("/etcdserverpb.KV/Txn", swap, timeout: .seconds(10))
        #expect(swapped.succeeded)
        let again: TxnResponse = try await client.unary("/etcdserverpb.KV/Txn", swap, timeout: .seconds(10))
        #expect(!again.succeeded)

        _ = try await put(client, "gone", "x")
        let deleted: DeleteRangeResponse = try await client.unary(
            "/etcdserverpb.KV/DeleteRange", DeleteRangeRequest(key: Data("gone".utf8)), timeout: .seconds(10))
        #expect(deleted.deleted == 1)

        let _: CompactionResponse = try await client.unary("/etcdserverpb.KV/Compact", CompactionRequest(revision: 3), timeout: .seconds(10))
        await #expect(throws: GRPCStatus(code: .outOfRange, message: "etcdserver: mvcc: required revision has been compacted")) {
            _ = try await range(client, "k", revision: 2)
        }
        await #expect(throws: GRPCStatus(code: .invalidArgument, message: "etcdserver: key is not provided")) {
            _ = try await put(client, "", "x")
        }
        await #expect(throws: GRPCStatus(code: .invalidArgument, message: "etcdserver: request is too large")) {
            _ = try await put(client, "big", String(repeating: "x", count: 20_000))
        }
        let before = try await range(client, "k")

        let hash: HashKVResponse = try await client.unary("/etcdserverpb.Maintenance/HashKV", HashKVRequest(), timeout: .seconds(10))
        #expect(hash.header?.revision == before.header?.revision)
        #expect(hash.compactRevision == 3)
        let status: StatusResponse = try await client.unary("/etcdserverpb.Maintenance/Status", StatusRequest(), timeout: .seconds(10))
        #expect(status.leader == expected.memberID && status.version == "3.4.23")
        let alarms: AlarmResponse = try await client.unary("/etcdserverpb.Maintenance/Alarm", AlarmRequest(), timeout: .seconds(10))
        #expect(alarms.alarms.isEmpty)
        let endpoints = ClientHTTPEndpoints(node: server.node).service
        let metrics = try await endpoints(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/metrics"), []).get()
        #expect(metrics.status == .ok)
        for line in ["etcd_server_has_leader 1", "etcd_server_is_leader 1", "etcd_server_leader_changes_seen_total 1",
                     "etcd_debugging_mvcc_keys_total 1", "etcd_server_proposals_failed_total 0", "etcd_disk_wal_fsync_duration_seconds_count"] {
            #expect(metrics.body.contains(line))
        }
        let version = try await endpoints(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/version"), []).get()
        #expect(version.body == "{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}")
        let health = try await endpoints(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/health"), []).get()
        #expect(health.status == .ok && health.body == "{\"health\":\"true\"}")
        await #expect(throws: GRPCStatus(code: .failedPrecondition, message: "etcdserver: bad leader transferee")) {
            let _: MoveLeaderResponse = try await client.unary("/etcdserverpb.Maintenance/MoveLeader", MoveLeaderRequest(targetID: 42), timeout: .seconds(10))
        }

        try await client.close().get()
        server.stop()
        (server, client) = try await Self.start(directory, group: group)
        let after = try await range(client, "k")
        #expect(after.kvs == before.kvs)
        #expect(after.header?.revision == before.header?.revision)
        let gone = try await range(client, "gone")
        #expect(gone.kvs.isEmpty)
        _ = try await put(client, "after-restart", "ok")
        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }
}
