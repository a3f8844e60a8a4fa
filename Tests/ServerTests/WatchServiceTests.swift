import Foundation
import GRPC
import NIOCore
import NIOPosix
import Testing
import Wire
@testable import Server

/// Watch responses as they arrive on a stream, in order.
final class WatchResponses: @unchecked Sendable {
    private let lock = NSLock()
    private var responses: [WatchResponse] = []

    func append(_ bytes: [UInt8]) {
        guard let response = try? WatchResponse(serializedBytes: bytes) else { return }
        lock.withLock { responses.append(response) }
    }

    var all: [WatchResponse] { lock.withLock { responses } }

    /// Waits (up to 5 s) until `count` responses have arrived.
    func wait(for count: Int) async throws -> [WatchResponse] {
        for _ in 0..<500 where all.count < count { try await Task.sleep(for: .milliseconds(10)) }
        return all
    }
}

@Suite("etcd's Watch service on a member", .serialized)
struct WatchServiceTests {
    @Test("a stream creates watchers, gets puts and deletes with prev_kv and history, cancels one, and ends cleanly")
    func watchStream() async throws {
        let directory = NSTemporaryDirectory() + "ferry-watch-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (server, client) = try await MemberServerTests.start(directory, group: group)
        let expected = try MemberServerTests.configuration(directory)
        let _: PutResponse = try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data("k0".utf8), value: Data("v0".utf8)), timeout: .seconds(10))

        let responses = WatchResponses()
        let finished = AsyncStream<GRPCStatus>.makeStream()
        let call = client.makeCall(path: "/etcdserverpb.Watch/Watch", onMessage: { responses.append($0) },
                                   onFinish: { finished.continuation.yield($0) })
        func send(_ union: WatchRequest.RequestUnion) { call.send(WatchRequest(requestUnion: union).serializedBytes()) }
        // Watcher A: prefix "k", from now on, with previous values. Watcher B: key k0 from revision 1.
        send(.createRequest(WatchCreateRequest(key: Data("k".utf8), rangeEnd: Data("l".utf8), prevKv: true)))
        send(.createRequest(WatchCreateRequest(key: Data("k0".utf8), startRevision: 1)))
        let created = try await responses.wait(for: 3)
        #expect(created.filter(\.created).count == 2)
        let a = try #require(created.first(where: \.created)?.watchID)
        let b = try #require(created.last(where: \.created)?.watchID)
        #expect(created.first { $0.watchID == b && !$0.created }?.events.map(\.kv?.value) == [Data("v0".utf8)])
        #expect(created.allSatisfy { $0.header?.memberID == expected.memberID && $0.header?.clusterID == expected.clusterID })

        let _: PutResponse = try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data("k0".utf8), value: Data("v1".utf8)), timeout: .seconds(10))
        let _: DeleteRangeResponse = try await client.unary("/etcdserverpb.KV/DeleteRange", DeleteRangeRequest(key: Data("k0".utf8)), timeout: .seconds(10))
        let events = try await responses.wait(for: 7).filter { !$0.created }.flatMap { response in response.events.map { (response.watchID, $0) } }
        let seenByA = events.filter { $0.0 == a }.map(\.1)
        #expect(seenByA.map(\.type) == [.put, .delete])
        #expect(seenByA.first?.prevKv?.value == Data("v0".utf8))
        #expect(seenByA.last?.prevKv?.value == Data("v1".utf8))
        #expect(events.filter { $0.0 == b }.map(\.1.type) == [.put, .put, .delete])

        send(.cancelRequest(WatchCancelRequest(watchID: a)))
        let afterCancel = try await responses.wait(for: responses.all.count + 1)
        #expect(afterCancel.last?.canceled == true && afterCancel.last?.watchID == a)
        let _: PutResponse = try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data("k1".utf8), value: Data("x".utf8)), timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(100))
        #expect(!responses.all.contains { $0.watchID == a && $0.events.contains { $0.kv?.key == Data("k1".utf8) } })

        call.closeSend()
        var status: GRPCStatus?
        for await ended in finished.stream {
            status = ended
            break
        }
        #expect(status == .ok)
        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }
}
