import Foundation
import GRPC
import NIOCore
import NIOPosix
import TestSupport
import Testing
import Wire
@testable import Server

/// Watch responses as they arrive on a stream, in order.
final class WatchResponses: Sendable {
    let received = Observed<[WatchResponse]>([])

    func append(_ bytes: [UInt8]) {
        guard let response = try? WatchResponse(serializedBytes: bytes) else { return }
        received.update { $0.append(response) }
    }

    var all: [WatchResponse] { received.value }

    /// Waits until the responses satisfy `condition`; returns them all.
    func wait(_ what: String, until condition: @escaping @Sendable ([WatchResponse]) -> Bool) async throws -> [WatchResponse] {
        try await received.wait(for: what, until: condition)
    }

    /// Waits until `count` responses have arrived.
    func wait(for count: Int) async throws -> [WatchResponse] {
        try await wait("\(count) watch responses") { $0.count >= count }
    }

    /// Waits until responses carry `count` events in all.
    func wait(forEvents count: Int) async throws -> [WatchResponse] {
        try await wait("\(count) watch events") { $0.reduce(0) { $0 + $1.events.count } >= count }
    }
}

/// One Watch call of a test client: requests go out with `send`, responses gather in
/// `responses`. A closed `gate` holds up the client's event loop at the next response, so
/// the client reads nothing more from its connection until the gate opens.
final class WatchCall: Sendable {
    let call: GRPCClientCall
    let responses = WatchResponses()
    let gate = Gate()
    let finished = Observed<GRPCStatus?>(nil)

    init(_ client: GRPCClient) {
        let responses = responses
        let gate = gate
        let finished = finished
        call = client.makeCall(path: "/etcdserverpb.Watch/Watch", onMessage: { bytes in
            gate.pass()
            responses.append(bytes)
        }, onFinish: { status in finished.update { $0 = status } })
    }

    func send(_ union: WatchRequest.RequestUnion) {
        call.send(WatchRequest(requestUnion: union).serializedBytes())
    }

    /// Creates a watcher; answers its created response, the first to arrive after the request
    /// went out (answers to earlier requests may still be on their way).
    func create(_ request: WatchCreateRequest) async throws -> WatchResponse {
        let before = responses.all.count
        send(.createRequest(request))
        let all = try await responses.wait("the created response to \(request)") { $0.dropFirst(before).contains(where: \.created) }
        return try #require(all.dropFirst(before).first { $0.created })
    }

    /// Sends a progress request and waits for its answer (watch ID -1, no events). The member
    /// sends what it holds for the stream first, so after this every response due from what
    /// happened before the request is in `responses`.
    func barrier() async throws -> [WatchResponse] {
        let before = responses.all.count
        send(.progressRequest(WatchProgressRequest()))
        return try await responses.wait("a progress response") {
            $0.dropFirst(before).contains { $0.watchID == -1 && !$0.created && !$0.canceled && $0.events.isEmpty }
        }
    }

    /// Waits for the end of the call.
    func waitForEnd() async throws -> GRPCStatus {
        try #require(try await finished.wait(for: "the end of the watch call") { $0 != nil })
    }
}

/// Holds up whoever passes while it is closed.
final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var isClosed = false
    private let opened = DispatchSemaphore(value: 0)

    func close() { lock.withLock { isClosed = true } }

    func open() {
        lock.withLock { isClosed = false }
        opened.signal()
    }

    func pass() {
        if lock.withLock({ isClosed }) { opened.wait() }
    }
}

@Suite("etcd's Watch service on a member", .serialized)
struct WatchServiceTests {
    @Test("a stream creates watchers, gets puts and deletes with prev_kv and history, cancels one, stays open after the client ends sending, and ends on cancel")
    func watchStream() async throws {
        let directory = NSTemporaryDirectory() + "ferry-watch-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (server, client) = try await MemberServerTests.start(directory, group: group)
        let expected = try MemberServerTests.configuration(directory)
        let _: PutResponse = try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data("k0".utf8), value: Data("v0".utf8)), timeout: .seconds(10))

        let watch = WatchCall(client)
        let responses = watch.responses
        // Watcher A: prefix "k", from now on, with previous values. Watcher B: key k0 from revision 1.
        watch.send(.createRequest(WatchCreateRequest(key: Data("k".utf8), rangeEnd: Data("l".utf8), prevKv: true)))
        watch.send(.createRequest(WatchCreateRequest(key: Data("k0".utf8), startRevision: 1)))
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

        let beforeCancel = responses.all.count
        watch.send(.cancelRequest(WatchCancelRequest(watchID: a)))
        let afterCancel = try await responses.wait("the cancel of A") { $0.count > beforeCancel }
        #expect(afterCancel.last?.canceled == true && afterCancel.last?.watchID == a)
        let _: PutResponse = try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data("k1".utf8), value: Data("x".utf8)), timeout: .seconds(10))
        // The put is applied; whatever it owed the stream is sent before the progress answer.
        #expect(try await watch.barrier().contains { $0.events.contains { $0.kv?.key == Data("k1".utf8) } } == false)

        // As etcd's, the stream stays open after the client's end of sending: watcher b
        // still hears puts; the client's cancel ends the call.
        watch.call.closeSend()
        let _: PutResponse = try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data("k0".utf8), value: Data("after".utf8)), timeout: .seconds(10))
        let afterClose = try await responses.wait("the put after the end of sending") {
            $0.contains { $0.events.first?.kv?.value == Data("after".utf8) }
        }
        #expect(afterClose.last?.watchID == b)
        watch.call.cancel()
        #expect(try await watch.waitForEnd().code == .cancelled)
        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }
}

extension WatchServiceTests {
    /// A member for one test, its server and a client on its client port (started by
    /// MemberServerTests.start, or with `flags` changed when given).
    struct Member {
        let server: MemberServer
        let client: GRPCClient
        let group: MultiThreadedEventLoopGroup
        let directory: String

        static func start(_ flags: [String: String] = [:]) async throws -> Member {
            let directory = NSTemporaryDirectory() + "ferry-watch-\(UUID().uuidString)"
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            if flags.isEmpty {
                let (server, client) = try await MemberServerTests.start(directory, group: group)
                return Member(server: server, client: client, group: group, directory: directory)
            }
            let server = try MemberServer.start(try ServerConfiguration(flags: [
                "name": "solo", "data-dir": directory,
                "listen-client-urls": "http://127.0.0.1:0", "advertise-client-urls": "http://127.0.0.1:2379",
                "listen-peer-urls": "http://127.0.0.1:0", "initial-advertise-peer-urls": "http://127.0.0.1:2380",
                "initial-cluster": "solo=http://127.0.0.1:2380", "heartbeat-interval": "10", "election-timeout": "100",
            ].merging(flags) { _, new in new }), logger: MemberServerTests.logger)
            let port = try #require(server.clientChannels.first?.localAddress?.port)
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port, group: group).get()
            return Member(server: server, client: client, group: group, directory: directory)
        }

        /// A second client with its own event loop (one a test may hold up).
        func watchClient() async throws -> (GRPCClient, MultiThreadedEventLoopGroup) {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let port = try #require(server.clientChannels.first?.localAddress?.port)
            return (try await GRPCClient.connect(host: "127.0.0.1", port: port, group: group).get(), group)
        }

        @discardableResult
        func put(_ key: String, _ value: Data) async throws -> PutResponse {
            try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data(key.utf8), value: value), timeout: .seconds(10))
        }

        /// What the member holds for watch streams (queued toward clients and in the KV).
        var queuedWatchBytes: Int {
            get throws { try server.node.eventLoop.submit { server.watches.queuedBytes }.wait() }
        }

        func stop() async throws {
            try await client.close().get()
            server.stop()
            try await group.shutdownGracefully()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test("watch IDs are the client's when it picks one, else the next free one; one in use or an empty range is refused as etcd refuses it")
    func watchIDs() async throws {
        let member = try await Member.start()
        let watch = WatchCall(member.client)
        #expect(try await watch.create(WatchCreateRequest(key: Data("a".utf8), watchID: 1)).watchID == 1)
        #expect(try await watch.create(WatchCreateRequest(key: Data("b".utf8))).watchID == 0)
        #expect(try await watch.create(WatchCreateRequest(key: Data("c".utf8))).watchID == 2)
        let duplicate = try await watch.create(WatchCreateRequest(key: Data("d".utf8), watchID: 2))
        #expect(duplicate.watchID == -1 && duplicate.canceled)
        #expect(duplicate.cancelReason == "mvcc: duplicate watch ID provided on the WatchStream")
        let empty = try await watch.create(WatchCreateRequest(key: Data("z".utf8), rangeEnd: Data("a".utf8)))
        #expect(empty.watchID == -1 && empty.canceled && empty.cancelReason == "mvcc: watcher range is empty")

        // Events carry the stream's ID; another stream numbers its own watchers from 0.
        let other = WatchCall(member.client)
        #expect(try await other.create(WatchCreateRequest(key: Data("a".utf8))).watchID == 0)
        try await member.put("a", Data("1".utf8))
        #expect(try await watch.responses.wait(forEvents: 1).last?.watchID == 1)
        #expect(try await other.responses.wait(forEvents: 1).last?.watchID == 0)

        // A cancelled ID is free again at once.
        watch.send(.cancelRequest(WatchCancelRequest(watchID: 1)))
        #expect(try await watch.create(WatchCreateRequest(key: Data("e".utf8), watchID: 1)).watchID == 1)
        #expect(watch.responses.all.contains { $0.watchID == 1 && $0.canceled && !$0.created })
        try await member.stop()
    }

    @Test("a progress request is answered at once with the store's revision under watch ID -1 (etcd 3.4)")
    func progressRequest() async throws {
        let member = try await Member.start()
        let watch = WatchCall(member.client)
        _ = try await watch.create(WatchCreateRequest(key: Data("p".utf8)))
        let put = try await member.put("q", Data("x".utf8))
        watch.send(.progressRequest(WatchProgressRequest()))
        let progress = try #require(try await watch.responses.wait(for: 2).last)
        #expect(progress.watchID == -1 && !progress.created && !progress.canceled && progress.events.isEmpty)
        #expect(progress.header?.revision == put.header?.revision)
        try await member.stop()
    }

    @Test("a watcher created with fragment gets a response past max-request-bytes + 512 KiB in parts, fragment set on all but the last")
    func fragments() async throws {
        let member = try await Member.start()  // max-request-bytes 10000: parts stay under 534,288 bytes
        let value = Data(repeating: UInt8(ascii: "f"), count: 9_000)
        for i in 0..<80 { try await member.put(String(format: "f%02d", i), value) }
        let limit = 10_000 + 512 * 1024

        let fragmented = WatchCall(member.client)
        _ = try await fragmented.create(WatchCreateRequest(key: Data("f".utf8), rangeEnd: Data("g".utf8), startRevision: 1, fragment: true))
        let parts = try await fragmented.responses.wait(forEvents: 80).filter { !$0.events.isEmpty }
        #expect(parts.count == 2)
        #expect(parts.dropLast().allSatisfy(\.fragment) && parts.last?.fragment == false)
        #expect(parts.allSatisfy { $0.serializedBytes().count < limit })
        #expect(parts.flatMap(\.events).map(\.kv?.key) == (0..<80).map { Data(String(format: "f%02d", $0).utf8) })

        let whole = WatchCall(member.client)
        _ = try await whole.create(WatchCreateRequest(key: Data("f".utf8), rangeEnd: Data("g".utf8), startRevision: 1))
        let one = try await whole.responses.wait(forEvents: 80).filter { !$0.events.isEmpty }
        #expect(one.count == 1 && one.first?.fragment == false && one[0].serializedBytes().count >= limit)
        try await member.stop()
    }

    @Test("a client that does not read while 50 MB are put: apply goes on, the member holds a bounded few MB for it, and it then gets every event in order")
    func slowClient() async throws {
        let member = try await Member.start(["max-request-bytes": "1572864"])
        let (watchClient, watchGroup) = try await member.watchClient()
        let watch = WatchCall(watchClient)
        _ = try await watch.create(WatchCreateRequest(key: Data("big/".utf8), rangeEnd: Data("big0".utf8)))
        watch.gate.close()  // the client's loop stops at the first event

        let value = Data(repeating: UInt8(ascii: "v"), count: 256 * 1024)
        var most = 0
        var first: Int64 = 0
        for i in 0..<200 {
            let put = try await member.put(String(format: "big/%03d", i), value)
            if i == 0 { first = put.header?.revision ?? 0 }
            most = max(most, try member.queuedWatchBytes)
        }
        let behind = try await member.server.node.eventLoop.submit { member.server.node.kv.watchersBehind }.get()
        #expect(!behind.isEmpty)  // fell behind: the KV stopped feeding it
        #expect(most < 4 << 20, "member held \(most) bytes for the watcher")
        // While it is paused: a create (its created response waits in the KV), the same ID
        // again (refused) and a progress request. They are answered in that order, as etcd's
        // control channel answers them, however long the created response waited.
        watch.send(.createRequest(WatchCreateRequest(key: Data("z".utf8), watchID: 7)))
        watch.send(.createRequest(WatchCreateRequest(key: Data("z".utf8), watchID: 7)))
        watch.send(.progressRequest(WatchProgressRequest()))
        watch.gate.open()

        let answers = try await watch.responses.wait("the answers to the paused stream's requests") { $0.contains { $0.watchID == -1 && !$0.created } }
            .filter { $0.events.isEmpty && ($0.watchID == 7 || $0.watchID == -1) }
        #expect(answers.map { [$0.watchID, $0.created ? 1 : 0, $0.canceled ? 1 : 0] } == [[7, 1, 0], [-1, 1, 1], [-1, 0, 0]])
        let events = try await watch.responses.wait(forEvents: 200).flatMap(\.events)
        #expect(events.count == 200)
        #expect(events.map(\.kv?.modRevision) == (0..<200).map { first + Int64($0) })
        #expect(events.allSatisfy { $0.kv?.value.count == value.count })
        #expect(try member.queuedWatchBytes == 0)
        try await watchClient.close().get()
        try await watchGroup.shutdownGracefully()
        try await member.stop()
    }

    @Test("a client that does not read while its next revision is compacted gets what came before, then etcd's compacted cancel; its ID stays in use until it cancels")
    func slowClientCompacted() async throws {
        let member = try await Member.start(["max-request-bytes": "1572864"])
        let (watchClient, watchGroup) = try await member.watchClient()
        let watch = WatchCall(watchClient)
        _ = try await watch.create(WatchCreateRequest(key: Data("c/".utf8), rangeEnd: Data("c0".utf8)))
        watch.gate.close()
        let value = Data(repeating: UInt8(ascii: "c"), count: 256 * 1024)
        var revisions: [Int64] = []
        for i in 0..<40 { revisions.append(try await member.put("c/\(i)", value).header?.revision ?? 0) }
        let compacted = revisions.last!
        let _: CompactionResponse = try await member.client.unary(
            "/etcdserverpb.KV/Compact", CompactionRequest(revision: compacted), timeout: .seconds(10))
        watch.gate.open()

        let responses = try await watch.responses.wait("the compaction's cancel") { $0.contains(where: \.canceled) }
        let cancel = try #require(responses.last)
        #expect(cancel.canceled && cancel.compactRevision == compacted && cancel.header?.revision == 0)
        let events = responses.flatMap(\.events)
        #expect(!events.isEmpty && events.count < 40)
        #expect(events.map(\.kv?.modRevision) == Array(revisions.prefix(events.count)))

        // As in etcd, the ID stays in use until the client cancels it, and that cancel is answered.
        #expect(try await watch.create(WatchCreateRequest(key: Data("d".utf8))).watchID == 1)
        watch.send(.cancelRequest(WatchCancelRequest(watchID: cancel.watchID)))
        let answered = try #require(try await watch.responses.wait(for: responses.count + 2).last)
        #expect(answered.watchID == cancel.watchID && answered.canceled && answered.compactRevision == 0)
        try await watchClient.close().get()
        try await watchGroup.shutdownGracefully()
        try await member.stop()
    }
}
