import Foundation
import GRPC
import KV
import Logging
import NIOCore
import NIOPosix
import Testing
import Wire
@testable import Server

/// A single member's Maintenance and Auth services through Ferry's own gRPC client: the quota
/// and NOSPACE alarm, Hash, Defragment, Snapshot, a member restored from the snapshot, and
/// the auth store with authentication disabled.
@Suite("Maintenance: quota and alarms, hash, defragment, snapshot and restore; Auth disabled", .serialized)
struct MaintenanceServiceTests {
    static let restoreFlags = [
        "name": "solo", "initial-cluster": "solo=http://127.0.0.1:2380",
        "initial-advertise-peer-urls": "http://127.0.0.1:2380", "initial-cluster-token": "maintenance",
    ]

    static func configuration(_ directory: String, quota: Int) throws -> ServerConfiguration {
        try ServerConfiguration(flags: restoreFlags.merging([
            "data-dir": directory, "quota-backend-bytes": String(quota),
            "listen-client-urls": "http://127.0.0.1:0", "advertise-client-urls": "http://127.0.0.1:2379",
            "listen-peer-urls": "http://127.0.0.1:0",
            "heartbeat-interval": "10", "election-timeout": "100",
        ]) { _, new in new })
    }

    static func start(_ directory: String, quota: Int, group: EventLoopGroup) async throws -> (MemberServer, GRPCClient) {
        let server = try MemberServer.start(try configuration(directory, quota: quota), logger: MemberServerTests.logger)
        let port = try #require(server.clientChannels.first?.localAddress?.port)
        let client = try await GRPCClient.connect(host: "127.0.0.1", port: port, group: group).get()
        return (server, client)
    }

    func put(_ client: GRPCClient, _ key: String, _ value: String) async throws(GRPCStatus) {
        let _: PutResponse = try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data(key.utf8), value: Data(value.utf8)), timeout: .seconds(10))
    }

    func alarms(_ client: GRPCClient, _ request: AlarmRequest = AlarmRequest()) async throws -> AlarmResponse {
        try await client.unary("/etcdserverpb.Maintenance/Alarm", request, timeout: .seconds(10))
    }

    /// Every message of a Snapshot call.
    func snapshot(_ client: GRPCClient) async throws -> [SnapshotResponse] {
        // Both callbacks run on the client's event loop, one after the other.
        nonisolated(unsafe) var messages: [SnapshotResponse] = []
        let status: GRPCStatus = await withCheckedContinuation { continuation in
            let call = client.makeCall(path: "/etcdserverpb.Maintenance/Snapshot", timeout: .seconds(20), onMessage: { bytes in
                if let message = try? SnapshotResponse(serializedBytes: bytes) { messages.append(message) }
            }, onFinish: { continuation.resume(returning: $0) })
            call.send(SnapshotRequest().serializedBytes())
            call.closeSend()
        }
        #expect(status == .ok)
        return messages
    }

    static let noSpace = GRPCStatus(code: .resourceExhausted, message: "etcdserver: mvcc: database space exceeded")

    @Test("past the quota writes are refused with NOSPACE raised; compaction, defragment and disarm let them in again")
    func quotaAndAlarms() async throws {
        let directory = NSTemporaryDirectory() + "ferry-quota-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (server, client) = try await Self.start(directory, quota: 4000, group: group)
        let memberID = server.node.options.memberID
        let big = String(repeating: "x", count: 1000)
        #expect(try await alarms(client).alarms.isEmpty)
        var refused: GRPCStatus?
        for index in 0..<10 {
            do { try await put(client, "big\(index)", big) } catch {
                refused = error
                break
            }
        }
        #expect(refused == Self.noSpace)
        let raised = try await alarms(client)
        #expect(raised.alarms == [AlarmMember(memberID: memberID, alarm: .nospace)])
        #expect(raised.header == nil)
        let status: StatusResponse = try await client.unary("/etcdserverpb.Maintenance/Status", StatusRequest(), timeout: .seconds(10))
        #expect(status.errors == ["memberID:\(memberID) alarm:NOSPACE "])
        await #expect(throws: Self.noSpace) { try await put(client, "small", "v") }
        await #expect(throws: Self.noSpace) {
            let _: LeaseGrantResponse = try await client.unary("/etcdserverpb.Lease/LeaseGrant", LeaseGrantRequest(ttl: 60), timeout: .seconds(10))
        }

        // Reads, deletes and compaction still work; then space is back and the alarm disarmed.
        let read: RangeResponse = try await client.unary("/etcdserverpb.KV/Range", RangeRequest(key: Data("big0".utf8)), timeout: .seconds(10))
        #expect(read.kvs.count == 1)
        let deleted: DeleteRangeResponse = try await client.unary(
            "/etcdserverpb.KV/DeleteRange", DeleteRangeRequest(key: Data("big".utf8), rangeEnd: Data("bih".utf8)), timeout: .seconds(10))
        #expect(deleted.deleted > 0)
        let _: CompactionResponse = try await client.unary(
            "/etcdserverpb.KV/Compact", CompactionRequest(revision: deleted.header?.revision ?? 0), timeout: .seconds(10))
        let _: DefragmentResponse = try await client.unary("/etcdserverpb.Maintenance/Defragment", DefragmentRequest(), timeout: .seconds(10))
        await #expect(throws: Self.noSpace) { try await put(client, "small", "v") }
        let disarmed = try await alarms(client, AlarmRequest(action: .deactivate, memberID: memberID, alarm: .nospace))
        #expect(disarmed.alarms == [AlarmMember(memberID: memberID, alarm: .nospace)])
        #expect(try await alarms(client).alarms.isEmpty)
        try await put(client, "small", "v")

        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }

    @Test("Hash is the KV snapshot's CRC-32C; a streamed snapshot passes etcdctl's check and restores a member with every key")
    func hashSnapshotAndRestore() async throws {
        let directory = NSTemporaryDirectory() + "ferry-snapshot-\(UUID().uuidString)"
        let restored = directory + "-restored"
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: restored)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var (server, client) = try await Self.start(directory, quota: 0, group: group)
        for index in 0..<40 { try await put(client, "key\(index)", String(repeating: "v", count: 2000)) }
        let _: AuthUserAddResponse = try await client.unary("/etcdserverpb.Auth/UserAdd", AuthUserAddRequest(name: "alice", password: "pw"), timeout: .seconds(10))

        let hash: HashResponse = try await client.unary("/etcdserverpb.Maintenance/Hash", HashRequest(), timeout: .seconds(10))
        let node = server.node
        let snapshotBytes = try await node.eventLoop.submit { node.kv.snapshot() }.get()
        #expect(hash.hash == CRC32C.update(0, snapshotBytes))
        #expect(hash.header?.revision == 41)

        let messages = try await snapshot(client)
        let file = messages.reduce(into: [UInt8]()) { $0 += $1.blob }
        #expect(file.count % 512 == 32)
        #expect(messages.count == (file.count - 32 + 32 * 1024 - 1) / (32 * 1024) + 1)
        #expect(messages.dropLast().allSatisfy { $0.blob.count == 32 * 1024 || $0.remainingBytes == 0 })
        #expect(messages.last?.remainingBytes == 0 && messages.last?.blob.count == 32)
        #expect(try SnapshotFile.kvSnapshot(file: file) == snapshotBytes)
        var damaged = file
        damaged[100] ^= 1
        #expect(throws: SnapshotFileError.self) { try SnapshotFile.kvSnapshot(file: damaged) }
        #expect(throws: SnapshotFileError.noChecksum(size: 1000)) { try SnapshotFile.kvSnapshot(file: [UInt8](repeating: 0, count: 1000)) }

        let path = directory + "/saved.db"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(file)))
        let flags = Self.restoreFlags.merging(["data-dir": restored]) { _, new in new }
        let summary = try SnapshotRestore.restore(file: path, flags: flags)
        #expect(summary.revision == 41 && summary.members == 1)
        #expect(throws: RestoreError.self) { try SnapshotRestore.restore(file: path, flags: flags) }

        try await client.close().get()
        server.stop()
        (server, client) = try await Self.start(restored, quota: 0, group: group)
        let all: RangeResponse = try await client.unary(
            "/etcdserverpb.KV/Range", RangeRequest(key: Data("key".utf8), rangeEnd: Data("kez".utf8)), timeout: .seconds(10))
        #expect(all.kvs.count == 40)
        #expect(all.header?.revision == 41)
        let users: AuthUserListResponse = try await client.unary("/etcdserverpb.Auth/UserList", AuthUserListRequest(), timeout: .seconds(10))
        #expect(users.users == ["alice"])
        try await put(client, "after-restore", "ok")
        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }

    @Test("Auth with authentication disabled answers as etcd 3.4")
    func authDisabled() async throws {
        let directory = NSTemporaryDirectory() + "ferry-auth-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (server, client) = try await Self.start(directory, quota: 0, group: group)
        try await put(client, "k", "v")
        await #expect(throws: GRPCStatus(code: .failedPrecondition, message: "etcdserver: authentication is not enabled")) {
            let _: AuthenticateResponse = try await client.unary("/etcdserverpb.Auth/Authenticate", AuthenticateRequest(name: "a", password: "b"), timeout: .seconds(10))
        }
        await #expect(throws: GRPCStatus(code: .failedPrecondition, message: "etcdserver: root user does not exist")) {
            let _: AuthEnableResponse = try await client.unary("/etcdserverpb.Auth/AuthEnable", AuthEnableRequest(), timeout: .seconds(10))
        }
        let _: AuthDisableResponse = try await client.unary("/etcdserverpb.Auth/AuthDisable", AuthDisableRequest(), timeout: .seconds(10))
        await #expect(throws: GRPCStatus(code: .failedPrecondition, message: "etcdserver: user name not found")) {
            let _: AuthUserGetResponse = try await client.unary("/etcdserverpb.Auth/UserGet", AuthUserGetRequest(name: "bob"), timeout: .seconds(10))
        }
        await #expect(throws: GRPCStatus(code: .failedPrecondition, message: "etcdserver: role name not found")) {
            let _: AuthRoleGetResponse = try await client.unary("/etcdserverpb.Auth/RoleGet", AuthRoleGetRequest(role: "r"), timeout: .seconds(10))
        }
        let _: AuthRoleAddResponse = try await client.unary("/etcdserverpb.Auth/RoleAdd", AuthRoleAddRequest(name: "r"), timeout: .seconds(10))
        let roles: AuthRoleListResponse = try await client.unary("/etcdserverpb.Auth/RoleList", AuthRoleListRequest(), timeout: .seconds(10))
        #expect(roles.roles == ["r"])
        #expect(roles.header?.revision == 2 && roles.header?.memberID == server.node.options.memberID)
        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }
}
