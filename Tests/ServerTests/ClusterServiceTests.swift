import Foundation
import GRPC
import NIOCore
import NIOPosix
import Testing
import Wire
@testable import Server

/// etcd's Cluster service on a single in-process member: membership changes through raft,
/// each refused with etcd's code and message where etcd refuses it.
@Suite("the Cluster service changes membership through raft with etcd's checks", .serialized)
struct ClusterServiceTests {
    @Test("member add --learner, update, promote of an unsynced learner, remove; etcd's refusals")
    func membershipChanges() async throws {
        let directory = NSTemporaryDirectory() + "ferry-cluster-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (server, client) = try await MemberServerTests.start(directory, group: group)
        _ = try await MemberServerTests().put(client, "k", "v")
        let own = server.node.options.memberID

        let added: MemberAddResponse = try await client.unary(
            "/etcdserverpb.Cluster/MemberAdd", MemberAddRequest(peerURLs: ["http://127.0.0.1:2480"], isLearner: true), timeout: .seconds(10))
        let learner = try #require(added.member)
        #expect(learner.isLearner)
        #expect(learner.peerURLs == ["http://127.0.0.1:2480"])
        #expect(Set(added.members.map(\.id)) == [own, learner.id])
        #expect(added.header?.memberID == own)

        // Refused when applied: the new ID is fresh, the URL is the member's own.
        await expectStatus(.failedPrecondition, "etcdserver: Peer URLs already exists") {
            let _: MemberAddResponse = try await client.unary(
                "/etcdserverpb.Cluster/MemberAdd", MemberAddRequest(peerURLs: ["http://127.0.0.1:2380"], isLearner: true), timeout: .seconds(10))
        }
        await expectStatus(.failedPrecondition, "etcdserver: too many learner members in cluster") {
            let _: MemberAddResponse = try await client.unary(
                "/etcdserverpb.Cluster/MemberAdd", MemberAddRequest(peerURLs: ["http://127.0.0.1:2490"], isLearner: true), timeout: .seconds(10))
        }
        await expectStatus(.invalidArgument, "etcdserver: given member URLs are invalid") {
            let _: MemberAddResponse = try await client.unary(
                "/etcdserverpb.Cluster/MemberAdd", MemberAddRequest(peerURLs: ["not a url"]), timeout: .seconds(10))
        }
        // The learner never started: it holds nothing of the leader's log.
        await expectStatus(.failedPrecondition, "etcdserver: can only promote a learner member which is in sync with leader") {
            let _: MemberPromoteResponse = try await client.unary(
                "/etcdserverpb.Cluster/MemberPromote", MemberPromoteRequest(id: learner.id), timeout: .seconds(10))
        }
        // As etcd's IsReadyToPromoteMember: one started voter of two after promotion is no quorum.
        await expectStatus(.failedPrecondition, "etcdserver: re-configuration failed due to not enough started members") {
            let _: MemberPromoteResponse = try await client.unary(
                "/etcdserverpb.Cluster/MemberPromote", MemberPromoteRequest(id: own), timeout: .seconds(10))
        }

        let updated: MemberUpdateResponse = try await client.unary(
            "/etcdserverpb.Cluster/MemberUpdate", MemberUpdateRequest(id: learner.id, peerURLs: ["http://127.0.0.1:2481"]), timeout: .seconds(10))
        #expect(updated.members.first { $0.id == learner.id }?.peerURLs == ["http://127.0.0.1:2481"])

        let removed: MemberRemoveResponse = try await client.unary(
            "/etcdserverpb.Cluster/MemberRemove", MemberRemoveRequest(id: learner.id), timeout: .seconds(10))
        #expect(removed.members.map(\.id) == [own])
        await expectStatus(.notFound, "etcdserver: member not found") {
            let _: MemberRemoveResponse = try await client.unary(
                "/etcdserverpb.Cluster/MemberRemove", MemberRemoveRequest(id: learner.id), timeout: .seconds(10))
        }
        // A removed ID never comes back.
        let removedIDs = try await server.node.eventLoop.submit { server.node.membership.removed }.get()
        #expect(removedIDs.contains(learner.id))
        _ = try? await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }

    private func expectStatus(_ code: StatusCode, _ message: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected status \(code) \(message), got success")
        } catch let status as GRPCStatus {
            #expect(status.code == code)
            #expect(status.message == message)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
