import Foundation
import GRPC
import HTTP2
import NIOCore
import NIOPosix
import TestSupport
import Testing
import Wire
@testable import KV
@testable import Server

/// Keep-alive responses as they arrive on a stream, and how the stream ended.
final class KeepAliveResponses: Sendable {
    private let responses = Observed<[LeaseKeepAliveResponse]>([])
    private let status = Observed<GRPCStatus?>(nil)

    func append(_ bytes: [UInt8]) {
        guard let response = try? LeaseKeepAliveResponse(serializedBytes: bytes) else { return }
        responses.update { $0.append(response) }
    }

    func finish(_ status: GRPCStatus) { self.status.update { $0 = status } }

    var all: [LeaseKeepAliveResponse] { responses.value }
    var finished: GRPCStatus? { status.value }

    /// Waits until `count` responses have arrived.
    func wait(for count: Int) async throws -> [LeaseKeepAliveResponse] {
        try await responses.wait(for: "\(count) keep-alive responses") { $0.count >= count }
    }

    /// Waits for the end of the stream.
    func waitForEnd() async throws -> GRPCStatus? {
        try await status.wait(for: "the end of the keep-alive stream") { $0 != nil }
    }
}

/// A lease clock that moves only when a test moves it, installed on a member: TTLs run out
/// exactly when the test says, however slow the machine.
final class ManualLeaseClock: Sendable {
    private let time: Observed<LeaseTime>

    /// Takes over `server`'s lease clock from the time it reads now.
    init(_ server: MemberServer) async throws {
        let node = server.node
        let start = try await node.eventLoop.submit { node.now }.get()
        let time = Observed(start)
        self.time = time
        try await node.eventLoop.submit { node.leaseClock = { time.value } }.get()
    }

    func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        time.update { $0 = LeaseTime(nanoseconds: $0.nanoseconds + seconds * 1_000_000_000 + attoseconds / 1_000_000_000) }
    }
}

/// etcd's Lease service on a single member in this process (real sockets and files), driven
/// by Ferry's gRPC client. The member runs with a 100 ms election timeout, so its minimum
/// lease TTL is 1 s (etcd: 3/2 election timeouts, rounded up) and TTLs of 2 s stand.
@Suite("etcd's Lease service on a member", .serialized)
struct LeaseServiceTests {
    func grant(_ client: GRPCClient, ttl: Int64, id: Int64 = 0) async throws(GRPCStatus) -> LeaseGrantResponse {
        try await client.unary("/etcdserverpb.Lease/LeaseGrant", LeaseGrantRequest(ttl: ttl, id: id), timeout: .seconds(10))
    }

    func revoke(_ client: GRPCClient, _ id: Int64) async throws(GRPCStatus) -> LeaseRevokeResponse {
        try await client.unary("/etcdserverpb.Lease/LeaseRevoke", LeaseRevokeRequest(id: id), timeout: .seconds(10))
    }

    func timeToLive(_ client: GRPCClient, _ id: Int64, keys: Bool = false) async throws(GRPCStatus) -> LeaseTimeToLiveResponse {
        try await client.unary("/etcdserverpb.Lease/LeaseTimeToLive", LeaseTimeToLiveRequest(id: id, keys: keys), timeout: .seconds(10))
    }

    func put(_ client: GRPCClient, _ key: String, lease: Int64) async throws(GRPCStatus) -> PutResponse {
        try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data(key.utf8), value: Data("v".utf8), lease: lease), timeout: .seconds(10))
    }

    func keys(_ client: GRPCClient, prefix: String) async throws(GRPCStatus) -> [String] {
        var end = Array(prefix.utf8)
        end[end.count - 1] += 1
        let response: RangeResponse = try await client.unary(
            "/etcdserverpb.KV/Range", RangeRequest(key: Data(prefix.utf8), rangeEnd: Data(end)), timeout: .seconds(10))
        return response.kvs.map { String(decoding: $0.key, as: UTF8.self) }
    }

    /// Opens a keep-alive stream, marked as etcd's clients mark it.
    func keepAliveStream(_ client: GRPCClient, into responses: KeepAliveResponses) -> GRPCClientCall {
        client.makeCall(path: "/etcdserverpb.Lease/LeaseKeepAlive", metadata: [HTTP2Header("hasleader", "true")],
                        onMessage: { responses.append($0) }, onFinish: { responses.finish($0) })
    }

    @Test("grant (ID picked by the server or the client), keys on a lease, time-to-live with keys, list, keep-alive stream, revoke, etcd's errors")
    func leaseLifecycle() async throws {
        let directory = NSTemporaryDirectory() + "ferry-lease-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (server, client) = try await MemberServerTests.start(directory, group: group)
        let expected = try MemberServerTests.configuration(directory)
        let clock = try await ManualLeaseClock(server)

        // Grants: an ID of 0 has the server pick a positive one; a client's ID is kept.
        let picked = try await grant(client, ttl: 30)
        #expect(picked.id > 0 && picked.ttl == 30)
        #expect(picked.header?.memberID == expected.memberID && picked.header?.clusterID == expected.clusterID)
        #expect(picked.header?.raftTerm ?? 0 >= 2)
        let chosen = try await grant(client, ttl: 60, id: 0x1234)
        #expect(chosen.id == 0x1234 && chosen.ttl == 60)
        let short = try await grant(client, ttl: 0)
        #expect(short.ttl == 1)  // raised to the minimum TTL
        await #expect(throws: GRPCStatus(code: .failedPrecondition, message: "etcdserver: lease already exists")) {
            _ = try await grant(client, ttl: 10, id: 0x1234)
        }
        await #expect(throws: GRPCStatus(code: .outOfRange, message: "etcdserver: too large lease TTL")) {
            _ = try await grant(client, ttl: 9_000_000_001)
        }

        // Keys on a lease; time-to-live with and without keys; a lease that does not exist.
        let attached = try await put(client, "lk/a", lease: picked.id)
        _ = try await put(client, "lk/b", lease: picked.id)
        await #expect(throws: GRPCStatus(code: .notFound, message: "etcdserver: requested lease not found")) {
            _ = try await put(client, "lk/c", lease: 0x9999)
        }
        let live = try await timeToLive(client, picked.id, keys: true)
        #expect(live.id == picked.id && live.grantedTTL == 30 && live.ttl == 30)
        #expect(live.keys == [Data("lk/a".utf8), Data("lk/b".utf8)])
        #expect(live.header?.memberID == expected.memberID && live.header?.revision ?? 0 > attached.header?.revision ?? 0)
        let withoutKeys = try await timeToLive(client, picked.id)
        #expect(withoutKeys.keys.isEmpty && withoutKeys.grantedTTL == 30)
        let missing = try await timeToLive(client, 0x9999, keys: true)
        #expect(missing.id == 0x9999 && missing.ttl == -1 && missing.grantedTTL == 0 && missing.keys.isEmpty)
        #expect(missing.header?.memberID == expected.memberID)

        let leases: LeaseLeasesResponse = try await client.unary("/etcdserverpb.Lease/LeaseLeases", LeaseLeasesRequest(), timeout: .seconds(10))
        #expect(Set(leases.leases.map(\.id)) == [picked.id, 0x1234, short.id])
        #expect(leases.header?.memberID == expected.memberID)

        // A keep-alive stream: the lease's clock restarts with its full TTL; an unknown lease
        // is answered with TTL 0 and the stream goes on; the client's end ends it with OK.
        let kept = try await grant(client, ttl: 10)
        clock.advance(by: .milliseconds(1200))
        let before = try await timeToLive(client, kept.id)
        #expect(before.ttl == 8)  // 8.8 s left, rounded down as etcd does
        let responses = KeepAliveResponses()
        let call = keepAliveStream(client, into: responses)
        call.send(LeaseKeepAliveRequest(id: kept.id).serializedBytes())
        call.send(LeaseKeepAliveRequest(id: 0x9999).serializedBytes())
        call.send(LeaseKeepAliveRequest(id: kept.id).serializedBytes())
        let answers = try await responses.wait(for: 3)
        #expect(answers.map(\.id) == [kept.id, 0x9999, kept.id])
        #expect(answers.map(\.ttl) == [10, 0, 10])
        #expect(answers.allSatisfy { $0.header?.memberID == expected.memberID && $0.header?.clusterID == expected.clusterID })
        let after = try await timeToLive(client, kept.id)
        #expect(after.ttl == 10 && after.grantedTTL == 10)
        #expect(responses.finished == nil)
        call.closeSend()
        #expect(try await responses.waitForEnd() == .ok)

        // Revoke deletes the lease's keys; revoking it again, or any unknown lease, is NotFound.
        let revoked = try await revoke(client, picked.id)
        #expect(revoked.header?.memberID == expected.memberID && revoked.header?.revision ?? 0 > attached.header?.revision ?? 0)
        #expect(try await keys(client, prefix: "lk/").isEmpty)
        #expect(try await timeToLive(client, picked.id).ttl == -1)
        for id in [picked.id, 0x4321] {
            await #expect(throws: GRPCStatus(code: .notFound, message: "etcdserver: requested lease not found")) {
                _ = try await revoke(client, id)
            }
        }
        let left: LeaseLeasesResponse = try await client.unary("/etcdserverpb.Lease/LeaseLeases", LeaseLeasesRequest(), timeout: .seconds(10))
        #expect(!left.leases.map(\.id).contains(picked.id))

        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }

    @Test("the leader revokes a lease that expires: its key disappears, keep-alive answers TTL 0; a kept-alive lease lives on")
    func expiry() async throws {
        let directory = NSTemporaryDirectory() + "ferry-lease-expiry-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (server, client) = try await MemberServerTests.start(directory, group: group)

        let clock = try await ManualLeaseClock(server)
        let lease = try await grant(client, ttl: 2)
        #expect(lease.ttl == 2)
        let kept = try await grant(client, ttl: 2)
        _ = try await put(client, "ex/short", lease: lease.id)
        _ = try await put(client, "ex/kept", lease: kept.id)
        #expect(try await keys(client, prefix: "ex/") == ["ex/kept", "ex/short"])

        // One lease is kept alive on a stream while the other runs out: 1.5 s in, the kept
        // one restarts its 2 s; at 2.5 s only the other has expired.
        let responses = KeepAliveResponses()
        let call = keepAliveStream(client, into: responses)
        clock.advance(by: .milliseconds(1500))
        call.send(LeaseKeepAliveRequest(id: kept.id).serializedBytes())
        #expect(try await responses.wait(for: 1).map(\.ttl) == [2])
        #expect(try await keys(client, prefix: "ex/") == ["ex/kept", "ex/short"])
        #expect(try await timeToLive(client, lease.id).ttl == 0)  // 0.5 s left
        clock.advance(by: .seconds(1))
        // The leader's expiry round (every 500 ms) revokes it through raft.
        try await eventually("the expired lease's key deleted") { try await keys(client, prefix: "ex/") == ["ex/kept"] }
        #expect(try await timeToLive(client, lease.id).ttl == -1)
        #expect(try await timeToLive(client, kept.id).ttl == 1)  // 1 s left of its renewed 2 s

        let count = responses.all.count
        call.send(LeaseKeepAliveRequest(id: lease.id).serializedBytes())
        let answers = try await responses.wait(for: count + 1)
        #expect(answers.last?.id == lease.id && answers.last?.ttl == 0)
        call.cancel()

        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }
}
