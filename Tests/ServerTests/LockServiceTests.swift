import Foundation
import GRPC
import NIOCore
import NIOPosix
import TestSupport
import Testing
import Wire
@testable import KV
@testable import Server

/// A call still waiting, and what it ended with.
final class PendingCall<Response: Sendable>: Sendable {
    private let outcome = Observed<Result<Response, GRPCStatus>?>(nil)
    private let task: Task<Void, Never>

    init(_ body: @escaping @Sendable () async throws(GRPCStatus) -> Response) {
        let outcome = outcome
        task = Task {
            let result: Result<Response, GRPCStatus>
            do throws(GRPCStatus) { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.update { $0 = result }
        }
    }

    var result: Result<Response, GRPCStatus>? { outcome.value }

    /// Waits for the call to end.
    func wait() async throws -> Result<Response, GRPCStatus> {
        try #require(try await outcome.wait(for: "the end of the call") { $0 != nil })
    }

    func cancel() { task.cancel() }
}

/// etcd's v3lock and v3election services share these calls and checks.
enum ConcurrencyCalls {
    static func grant(_ client: GRPCClient, ttl: Int64 = 30) async throws(GRPCStatus) -> Int64 {
        let response: LeaseGrantResponse = try await client.unary("/etcdserverpb.Lease/LeaseGrant", LeaseGrantRequest(ttl: ttl), timeout: .seconds(10))
        return response.id
    }

    static func get(_ client: GRPCClient, _ key: Data) async throws(GRPCStatus) -> KeyValue? {
        let response: RangeResponse = try await client.unary("/etcdserverpb.KV/Range", RangeRequest(key: key), timeout: .seconds(10))
        return response.kvs.first
    }

    /// The watchers in the member's state machine: the waits leave none behind.
    static func watchers(_ server: MemberServer) async throws -> Int {
        try await server.node.eventLoop.submit { server.node.kv.watches.watchers.count }.get()
    }

    static func key(_ prefix: String, _ lease: Int64) -> Data { Data("\(prefix)/\(String(lease, radix: 16))".utf8) }
}

@Suite("etcd's Lock service (v3lockpb) on a member", .serialized)
struct LockServiceTests {
    func lock(_ client: GRPCClient, _ name: String, lease: Int64) async throws(GRPCStatus) -> LockResponse {
        try await client.unary("/v3lockpb.Lock/Lock", LockRequest(name: Data(name.utf8), lease: lease), timeout: .seconds(20))
    }

    func unlock(_ client: GRPCClient, _ key: Data) async throws(GRPCStatus) -> UnlockResponse {
        try await client.unary("/v3lockpb.Lock/Unlock", UnlockRequest(key: key), timeout: .seconds(10))
    }

    @Test("Lock is exclusive and handed over on Unlock; a cancelled Lock deletes its key and leaves no watcher; etcd's errors")
    func exclusionAndHandOver() async throws {
        let directory = NSTemporaryDirectory() + "ferry-lock-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (server, client) = try await MemberServerTests.start(directory, group: group)
        let expected = try MemberServerTests.configuration(directory)
        let a = try await ConcurrencyCalls.grant(client)
        let b = try await ConcurrencyCalls.grant(client)

        let held = try await lock(client, "door", lease: a)
        #expect(held.key == ConcurrencyCalls.key("door", a))
        #expect(held.header?.memberID == expected.memberID && held.header?.clusterID == expected.clusterID)
        let again = try await lock(client, "door", lease: a)
        #expect(again.key == held.key)

        // B's key is written and its wait for A's key begun (its watcher is the member's only
        // one): from here on only A's unlock may answer it.
        let second = PendingCall { () throws(GRPCStatus) in try await lock(client, "door", lease: b) }
        try await eventually("B waiting for the lock") {
            let written = try await ConcurrencyCalls.get(client, ConcurrencyCalls.key("door", b)) != nil
            let watchers = try await ConcurrencyCalls.watchers(server)
            return written && watchers == 1
        }
        #expect(second.result == nil)

        // A third contender gives up: its key goes, and so does its watcher.
        let c = try await ConcurrencyCalls.grant(client)
        let third = PendingCall { () throws(GRPCStatus) in try await lock(client, "door", lease: c) }
        try await eventually("C waiting for the lock") {
            let written = try await ConcurrencyCalls.get(client, ConcurrencyCalls.key("door", c)) != nil
            let watchers = try await ConcurrencyCalls.watchers(server)
            return written && watchers == 2
        }
        third.cancel()
        try await eventually("C's key deleted") { try await ConcurrencyCalls.get(client, ConcurrencyCalls.key("door", c)) == nil }
        try await eventually("C's watcher gone, B's alone") { try await ConcurrencyCalls.watchers(server) == 1 }
        #expect(second.result == nil)

        let unlocked = try await unlock(client, held.key)
        let handed = try await second.wait().get()
        #expect(handed.key == ConcurrencyCalls.key("door", b))
        #expect((handed.header?.revision ?? 0) >= (unlocked.header?.revision ?? .max))
        #expect(try await ConcurrencyCalls.get(client, held.key) == nil)
        #expect(try await ConcurrencyCalls.watchers(server) == 0)
        _ = try await unlock(client, handed.key)

        // Without a lease the server grants one of 60 s, as etcd's session does.
        let own = try await lock(client, "door", lease: 0)
        let kv = try #require(try await ConcurrencyCalls.get(client, own.key))
        #expect(own.key == ConcurrencyCalls.key("door", kv.lease))
        let ttl: LeaseTimeToLiveResponse = try await client.unary(
            "/etcdserverpb.Lease/LeaseTimeToLive", LeaseTimeToLiveRequest(id: kv.lease), timeout: .seconds(10))
        #expect(ttl.grantedTTL == 60)

        await #expect(throws: GRPCStatus(code: .unknown, message: "etcdserver: requested lease not found")) {
            _ = try await lock(client, "door", lease: 0x7ead)
        }
        await #expect(throws: GRPCStatus(code: .unknown, message: "etcdserver: key is not provided")) {
            _ = try await unlock(client, Data())
        }

        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }
}
