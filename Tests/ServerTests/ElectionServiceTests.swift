import Foundation
import GRPC
import NIOCore
import NIOPosix
import TestSupport
import Testing
import Wire
@testable import Server

/// Observe's responses as they arrive on a stream, and how it ended.
final class ObservedLeaders: Sendable {
    private let responses = Observed<[LeaderResponse]>([])
    private let status = Observed<GRPCStatus?>(nil)

    func append(_ bytes: [UInt8]) {
        guard let response = try? LeaderResponse(serializedBytes: bytes) else { return }
        responses.update { $0.append(response) }
    }

    func finish(_ status: GRPCStatus) { self.status.update { $0 = status } }

    var all: [LeaderResponse] { responses.value }
    var ended: GRPCStatus? { status.value }

    /// Waits until `count` responses have arrived; answers their values.
    func wait(for count: Int) async throws -> [String] {
        try await responses.wait(for: "\(count) leader responses") { $0.count >= count }
            .map { String(decoding: $0.kv?.value ?? Data(), as: UTF8.self) }
    }
}

@Suite("etcd's Election service (v3electionpb) on a member", .serialized)
struct ElectionServiceTests {
    func campaign(_ client: GRPCClient, _ name: String, lease: Int64, _ value: String) async throws(GRPCStatus) -> CampaignResponse {
        try await client.unary("/v3electionpb.Election/Campaign",
                               CampaignRequest(name: Data(name.utf8), lease: lease, value: Data(value.utf8)), timeout: .seconds(20))
    }

    func leader(_ client: GRPCClient, _ name: String) async throws(GRPCStatus) -> LeaderResponse {
        try await client.unary("/v3electionpb.Election/Leader", LeaderRequest(name: Data(name.utf8)), timeout: .seconds(10))
    }

    func proclaim(_ client: GRPCClient, _ leader: LeaderKey?, _ value: String) async throws(GRPCStatus) -> ProclaimResponse {
        try await client.unary("/v3electionpb.Election/Proclaim", ProclaimRequest(leader: leader, value: Data(value.utf8)), timeout: .seconds(10))
    }

    func resign(_ client: GRPCClient, _ leader: LeaderKey?) async throws(GRPCStatus) -> ResignResponse {
        try await client.unary("/v3electionpb.Election/Resign", ResignRequest(leader: leader), timeout: .seconds(10))
    }

    @Test("Campaign waits for the leader to Resign; Leader, Proclaim and Observe follow the leaders; etcd's errors; no watcher left")
    func campaignsAndObserve() async throws {
        let directory = NSTemporaryDirectory() + "ferry-election-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (server, client) = try await MemberServerTests.start(directory, group: group)
        let a = try await ConcurrencyCalls.grant(client)
        let b = try await ConcurrencyCalls.grant(client)
        let noLeader = GRPCStatus(code: .unknown, message: "election: no leader")
        await #expect(throws: noLeader) { _ = try await leader(client, "vote") }

        let observed = ObservedLeaders()
        let observe = client.makeCall(path: "/v3electionpb.Election/Observe", onMessage: { observed.append($0) },
                                      onFinish: { observed.finish($0) })
        observe.send(LeaderRequest(name: Data("vote".utf8)).serializedBytes())
        observe.closeSend()

        let first = try await campaign(client, "vote", lease: a, "a")
        let leaderA = try #require(first.leader)
        #expect(leaderA == LeaderKey(name: Data("vote".utf8), key: ConcurrencyCalls.key("vote", a), rev: first.header?.revision ?? 0, lease: a))

        // B's key is written and its wait for A's begun (beside Observe's, its watcher is the
        // member's only one): from here on only A's resignation may answer it.
        let second = PendingCall { () throws(GRPCStatus) in try await campaign(client, "vote", lease: b, "b") }
        try await eventually("B campaigning") {
            let written = try await ConcurrencyCalls.get(client, ConcurrencyCalls.key("vote", b)) != nil
            let watchers = try await ConcurrencyCalls.watchers(server)
            return written && watchers == 2
        }
        #expect(second.result == nil)
        #expect(try await leader(client, "vote").kv?.value == Data("a".utf8))

        let proclaimed = try await proclaim(client, leaderA, "a2")
        #expect((proclaimed.header?.revision ?? 0) > leaderA.rev)
        #expect(try await leader(client, "vote").kv?.value == Data("a2".utf8))
        let impostor = LeaderKey(name: Data("vote".utf8), key: ConcurrencyCalls.key("vote", b), rev: leaderA.rev, lease: b)
        await #expect(throws: GRPCStatus(code: .unknown, message: "election: not leader")) { _ = try await proclaim(client, impostor, "b?") }
        let missing = GRPCStatus(code: .unknown, message: "\"leader\" field must be provided")
        await #expect(throws: missing) { _ = try await proclaim(client, nil, "b?") }
        await #expect(throws: missing) { _ = try await resign(client, nil) }
        _ = try await resign(client, impostor)  // not the leader: nothing to delete, no error
        #expect(try await leader(client, "vote").kv?.key == leaderA.key)

        _ = try await resign(client, leaderA)
        let won = try await second.wait().get()
        let leaderB = try #require(won.leader)
        #expect(leaderB.key == ConcurrencyCalls.key("vote", b) && leaderB.lease == b && leaderB.rev > leaderA.rev)
        #expect(try await leader(client, "vote").kv?.value == Data("b".utf8))
        #expect(try await observed.wait(for: 3) == ["a", "a2", "b"])
        #expect(observed.all.allSatisfy { $0.header?.memberID != nil && $0.header?.memberID != 0 })

        _ = try await resign(client, leaderB)
        await #expect(throws: noLeader) { _ = try await leader(client, "vote") }

        // A campaigner that gives up resigns; a closed Observe leaves no watcher either.
        let holder = try await campaign(client, "vote", lease: a, "again")
        let quitter = PendingCall { () throws(GRPCStatus) in try await campaign(client, "vote", lease: b, "quit") }
        try await eventually("the quitter campaigning") { try await ConcurrencyCalls.get(client, ConcurrencyCalls.key("vote", b)) != nil }
        quitter.cancel()
        try await eventually("the quitter's key deleted") { try await ConcurrencyCalls.get(client, ConcurrencyCalls.key("vote", b)) == nil }
        #expect(try await observed.wait(for: 4).last == "again")
        observe.cancel()
        try await eventually("no watcher left") { try await ConcurrencyCalls.watchers(server) == 0 }
        _ = try await resign(client, holder.leader)

        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }
}
