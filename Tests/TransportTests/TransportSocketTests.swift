import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing
import HTTP2
import Transport
import Wire

@Suite("rafthttp over HTTP/2, on sockets")
struct TransportSocketTests {
    struct Member {
        let id: UInt64
        let transport: Transport
        let inbox: Inbox
        let port: Int
    }

    static func members(_ count: Int, group: EventLoopGroup, clusterIDs: [UInt64]? = nil) throws -> [Member] {
        var members: [Member] = []
        for i in 0..<count {
            let inbox = Inbox()
            let id = UInt64(i + 1)
            let transport = Transport(
                configuration: .init(localID: id, clusterID: clusterIDs?[i] ?? 0x1000, peerURLs: []),
                eventLoop: group.next(), delegate: inbox)
            let port = try transport.start(host: "127.0.0.1", port: 0).wait()
            members.append(Member(id: id, transport: transport, inbox: inbox, port: port))
        }
        for a in members {
            for b in members where a.id != b.id { a.transport.addPeer(id: b.id, host: "127.0.0.1", port: b.port) }
        }
        return members
    }

    /// Waits until every member's message stream to every other is up.
    static func waitActive(_ members: [Member]) throws {
        for a in members {
            for b in members where a.id != b.id {
                try eventuallyBlocking("the stream from \(a.id) to \(b.id) up") { try a.transport.peerStatus(id: b.id).wait().active }
            }
        }
    }

    @Test("three members exchange 100,000 messages, none lost or reordered within a stream")
    func exchange() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let members = try Self.members(3, group: group)
        defer { for m in members { try? m.transport.stop().wait() } }
        try Self.waitActive(members)
        let perPair = 100_000 / 6
        for from in members {
            for to in members where to.id != from.id {
                var batch: [Message] = []
                for i in 1...perPair {
                    batch.append(Message(type: i % 2 == 0 ? .msgHeartbeat : .msgApp, to: to.id, from: from.id, term: 1, index: UInt64(i),
                                         entries: i % 2 == 0 ? [] : [Entry(term: 1, index: UInt64(i), data: Data(count: 64))]))
                    if batch.count == 500 {
                        from.transport.send(batch)
                        batch = []
                        // The sender paces itself by what the receiver has taken, as raft's
                        // inflight window does, so its buffer never fills.
                        let window = i - 2_000
                        try to.inbox.wait("\(to.id) within 2,000 messages of \(from.id)") { $0.countFrom[from.id, default: 0] >= window }
                    }
                }
                from.transport.send(batch)
            }
        }
        #expect(members.allSatisfy { $0.inbox.unreachableCount == 0 })
        for member in members {
            try member.inbox.waitFor(count: 2 * perPair)
            for sender in members where sender.id != member.id {
                // MsgApp travels on the msgapp stream, heartbeats on the message stream: each
                // channel keeps its own order.
                let fromSender = member.inbox.received.filter { $0.from == sender.id }
                let apps = fromSender.filter { $0.type == .msgApp }.map(\.index)
                let beats = fromSender.filter { $0.type == .msgHeartbeat }.map(\.index)
                #expect(apps == Array(stride(from: 1, through: UInt64(perPair), by: 2)), "MsgApp from \(sender.id) lost or reordered")
                #expect(beats == Array(stride(from: 2, through: UInt64(perPair), by: 2)), "heartbeats from \(sender.id) lost or reordered")
            }
        }
    }

    @Test("a snapshot of 64 MiB streams from its source to the receiver's sink intact, finished before raft hears of it")
    func pipelineAndSnapshot() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let members = try Self.members(2, group: group)
        defer { for m in members { try? m.transport.stop().wait() } }
        try Self.waitActive(members)
        let data = (0..<(64 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let snap = Message(type: .msgSnap, to: 2, from: 1, term: 3,
                           snapshot: Snapshot(metadata: SnapshotMetadata(confState: ConfState(voters: [1, 2]), index: 100, term: 3)))
        let offset = Observed(0)
        let closed = Observed(false)
        members[0].transport.sendSnapshot(snap, source: SnapshotSource(read: { count in
            offset.update { at in
                defer { at = min(data.count, at + count) }
                return Array(data[at..<min(data.count, at + count)])
            }
        }, close: { closed.update { $0 = true } }))
        let seen = try members[1].inbox.wait("the snapshot delivered") { !$0.snapshots.isEmpty }
        #expect(seen.snapshots == [snap])
        #expect(seen.finishedSnapshots == [100])
        #expect(seen.snapshotBytes[100] == data)
        try closed.waitBlocking(for: "the source closed") { $0 }
        let report = try members[0].inbox.wait("the snapshot's report") { !$0.snapshotReports.isEmpty }.snapshotReports.first
        #expect(report.map { $0.id == 2 && $0.succeeded } == true)
    }

    @Test("a member of another cluster is refused with 412 and nothing is delivered")
    func clusterMismatch() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let members = try Self.members(2, group: group, clusterIDs: [0x1000, 0x2000])
        defer { for m in members { try? m.transport.stop().wait() } }
        func refused(_ seen: Inbox.Seen, _ isPath: (String) -> Bool) -> Int {
            seen.events.filter { if case .clusterIDMismatch("1000", "1", let path) = $0 { isPath(path) } else { false } }.count
        }
        // 1's connection is up once 2 has refused the stream it dials on it.
        try members[1].inbox.wait("2 refusing 1's stream") { refused($0) { $0.hasPrefix("/raft/stream/") } > 0 }
        #expect(try !members[0].transport.peerStatus(id: 2).wait().active)
        // With no stream, the heartbeat goes by pipeline, which 2 refuses too: nothing delivered.
        members[0].transport.send([Message(type: .msgHeartbeat, to: 2, from: 1, term: 1)])
        let seen = try members[1].inbox.wait("2 refusing 1's pipeline POST") { refused($0) { $0 == "/raft" } > 0 }
        #expect(seen.messages.isEmpty)
        #expect(try !members[0].transport.peerStatus(id: 2).wait().active)
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge", "-X", "POST",
                          "-H", "X-Etcd-Cluster-ID: 9999", "--data-binary", "x", "http://127.0.0.1:\(members[1].port)/raft"]
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        curl.waitUntilExit()
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "412")
    }

    @Test("a sender that does not pace fills the buffer and sees drops reported as unreachable")
    func overflowReportsUnreachable() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let members = try Self.members(2, group: group)
        defer { for m in members { try? m.transport.stop().wait() } }
        try Self.waitActive(members)
        let big = Message(type: .msgApp, to: 2, from: 1, term: 1, entries: [Entry(term: 1, index: 1, data: Data(count: 1 << 20))])
        members[0].transport.send(Array(repeating: big, count: 64))
        try members[0].inbox.wait("a drop reported") { $0.unreachable > 0 }
    }

    @Test("a stream cut mid-flight falls back to the pipeline, then comes back")
    func streamFallback() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let members = try Self.members(2, group: group)
        defer { for m in members { try? m.transport.stop().wait() } }
        try Self.waitActive(members)
        // Member 2 drops its connection to 1: the streams 1 writes into go down with it.
        members[1].transport.removePeer(id: 1)
        try eventuallyBlocking("1's stream to 2 down") { try !members[0].transport.peerStatus(id: 2).wait().active }
        members[0].transport.send((1...100).map { Message(type: .msgHeartbeat, to: 2, from: 1, term: 1, index: $0) })
        try members[1].inbox.waitFor(count: 100)
        // Member 2 dials again; the stream is back.
        members[1].transport.addPeer(id: 1, host: "127.0.0.1", port: members[0].port)
        try Self.waitActive(members)
        #expect(try members[0].transport.peerStatus(id: 2).wait().active)
        members[0].transport.send((101...200).map { Message(type: .msgHeartbeat, to: 2, from: 1, term: 1, index: $0) })
        #expect(try members[1].inbox.waitFor(count: 200).map(\.index) == Array(1...200))
    }

    @Test("standard HTTP/2 tools reach the peer endpoints", .enabled(if: canRun(needing: "/usr/bin/nghttp")))
    func tools() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let members = try Self.members(1, group: group)
        defer { for m in members { try? m.transport.stop().wait() } }
        func run(_ tool: String, _ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            process.waitUntilExit()
            return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        let base = "http://127.0.0.1:\(members[0].port)"
        #expect(try run("/usr/bin/nghttp", ["-v", "\(base)/raft/probing"]).contains(":status: 200"))
        #expect(try run("/usr/bin/curl", ["-s", "--http2-prior-knowledge", "\(base)/version"]).contains("etcdserver"))
        #expect(try run("/usr/bin/curl", ["-s", "--http2-prior-knowledge", "\(base)/members"]).contains("peerURLs"))
        #expect(try run("/usr/bin/curl", ["-s", "--http2-prior-knowledge", "-X", "POST", "\(base)/members/promote/7"]) == "promoted 7")
        #expect(try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge", "\(base)/nope"]) == "404")
    }

    @Test("memory stays bounded while a peer stops reading: messages past the buffer are dropped")
    func peerStopsReading() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let members = try Self.members(1, group: group)
        defer { for m in members { try? m.transport.stop().wait() } }
        let sender = members[0].transport
        sender.addPeer(id: 2, host: "127.0.0.1", port: 1)  // nothing listens there: only its stream to us matters
        // A peer that dials its stream, then never reads another byte.
        let silent = try ClientBootstrap(group: group)
            .channelOption(.autoRead, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionHandler(role: .client) { _, _ in })
                }
            }
            .connect(host: "127.0.0.1", port: members[0].port).wait()
        defer { try? silent.close().wait() }
        try silent.eventLoop.submit {
            let handler = try silent.pipeline.syncOperations.handler(type: HTTP2ConnectionHandler.self)
            _ = try handler.session.request([
                HTTP2Header(":method", "GET"), HTTP2Header(":scheme", "http"), HTTP2Header(":path", "/raft/stream/message/2"),
                HTTP2Header(":authority", "x"), HTTP2Header("x-etcd-cluster-id", "1000"), HTTP2Header("x-raft-to", "1"),
                HTTP2Header("x-server-from", "2"),
            ], endStream: true)
            handler.flush()
            silent.read()  // the response headers, then nothing more
        }.wait()
        try eventuallyBlocking("the silent peer's stream up") { try sender.peerStatus(id: 2).wait().active }
        let message = Message(type: .msgApp, to: 2, from: 1, term: 1, entries: [Entry(term: 1, index: 1, data: Data(count: 64 << 10))])
        for _ in 0..<50 {  // 160 MiB offered in all
            sender.send(Array(repeating: message, count: 50))
        }
        // Sends run on the transport's loop in order: once they are all taken, the queue holds
        // at most the buffer and one message; everything else was dropped and reported.
        let queued = try sender.queuedBytes(to: 2).wait()
        #expect(queued <= (8 << 20) + (65 << 10))
        #expect(members[0].inbox.unreachableCount > 1000)
    }

    /// Counts a listener's connections: accepted, and open now.
    final class ConnectionCounter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let counts = Observed((accepted: 0, open: 0))
        func channelActive(context: ChannelHandlerContext) { counts.update { $0.accepted += 1; $0.open += 1 } }
        func channelInactive(context: ChannelHandlerContext) { counts.update { $0.open -= 1 } }
    }

    @Test("a peer removed while its connection is being made does not keep that connection")
    func removedWhileConnecting() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let counter = ConnectionCounter()
        let listener = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(counter) } }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? listener.close().wait() }
        let inbox = Inbox()
        let transport = Transport(configuration: .init(localID: 1, clusterID: 0x1000, peerURLs: []), eventLoop: group.next(), delegate: inbox)
        defer { try? transport.stop().wait() }
        // Both run on the transport's loop in this order: the removal comes before the
        // connection can complete.
        transport.addPeer(id: 2, host: "127.0.0.1", port: listener.localAddress!.port!)
        transport.removePeer(id: 2)
        _ = try counter.counts.waitBlocking(for: "the connection made for the removed peer closed") { $0.accepted >= 1 && $0.open == 0 }
    }
}
