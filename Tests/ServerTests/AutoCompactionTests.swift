import Foundation
import NIOCore
import NIOPosix
import GRPC
import Wire
import TestSupport
import Testing
@testable import Server

@Suite("etcd's auto-compaction: the flags, the periodic and revision schedules, a member that compacts by itself")
struct AutoCompactionTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    @Test("the flags read as etcd reads them: whole numbers are hours or revisions, else a Go duration; 0 disables")
    func flags() throws {
        #expect(try AutoCompaction(mode: "periodic", retention: "1") == .periodic(retention: .hours(1)))
        #expect(try AutoCompaction(mode: "periodic", retention: "10") == .periodic(retention: .hours(10)))
        #expect(try AutoCompaction(mode: "periodic", retention: "5m") == .periodic(retention: .minutes(5)))
        #expect(try AutoCompaction(mode: "periodic", retention: "1.5h") == .periodic(retention: .minutes(90)))
        #expect(try AutoCompaction(mode: "periodic", retention: "2h45m300ms") == .periodic(retention: .milliseconds(9_900_300)))
        #expect(try AutoCompaction(mode: "revision", retention: "1000") == .revision(retention: 1000))
        #expect(try AutoCompaction(mode: "periodic", retention: "0") == nil)
        #expect(try AutoCompaction(mode: "revision", retention: "0") == nil)
        #expect(throws: ConfigurationError.invalid(flag: "auto-compaction-mode", reason: "unknown auto-compaction-mode \"daily\"")) {
            try AutoCompaction(mode: "daily", retention: "1")
        }
        #expect(throws: ConfigurationError.invalid(flag: "auto-compaction-retention",
                                                   reason: "error parsing CompactionRetention: time: invalid duration \"1 hour\"")) {
            try AutoCompaction(mode: "periodic", retention: "1 hour")
        }
        #expect(throws: ConfigurationError.self) { try AutoCompaction(mode: "periodic", retention: "-1h") }
        for bad in ["", "5", "-", ".s", "5x", "h"] { #expect(GoDuration.nanoseconds(bad) == nil, "\(bad)") }
        #expect(GoDuration.nanoseconds("0") == 0)
        #expect(GoDuration.nanoseconds("1us") == 1_000 && GoDuration.nanoseconds("1µs") == 1_000)
    }

    @Test("a member's flags carry the schedule; a bad mode stops it starting with etcd's message")
    func configuration() throws {
        let base = ["name": "solo", "initial-cluster": "solo=http://localhost:2380"]
        #expect(try ServerConfiguration(flags: base).autoCompaction == nil)
        let hourly = try ServerConfiguration(flags: base.merging(["auto-compaction-retention": "1"]) { $1 })
        #expect(hourly.autoCompaction == .periodic(retention: .hours(1)))
        let revisions = try ServerConfiguration(flags: base, environment: ["ETCD_AUTO_COMPACTION_MODE": "revision", "ETCD_AUTO_COMPACTION_RETENTION": "50"])
        #expect(revisions.autoCompaction == .revision(retention: 50))
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration(flags: base.merging(["auto-compaction-mode": "weekly", "auto-compaction-retention": "1"]) { $1 })
        }
    }

    @Test("periodic: samples every tenth of the retention; compacts to the revision of a retention ago once a retention has passed, then every interval; a failure retries at the next sample")
    func periodicSchedule() {
        let retention = TimeAmount.hours(1)
        #expect(PeriodicCompaction.retryInterval(retention) == .minutes(6))
        #expect(PeriodicCompaction.retryInterval(.hours(24)) == .minutes(6))
        #expect(PeriodicCompaction.retryInterval(.seconds(5)) == .milliseconds(500))
        var schedule = PeriodicCompaction(retention: retention, revision: 10, now: start)
        func revision(_ k: Int) -> Int64 { 10 + Int64(k) * 100 }
        func at(_ k: Int) -> NIODeadline { start + .minutes(Int64(6 * k)) }
        for k in 1..<10 { #expect(schedule.fire(revision: revision(k), now: at(k), leading: true) == nil, "fire \(k)") }
        #expect(schedule.fire(revision: revision(10), now: at(10), leading: true) == revision(0))
        schedule.finished(succeeded: true, now: at(10))
        for k in 11..<20 { #expect(schedule.fire(revision: revision(k), now: at(k), leading: true) == nil, "fire \(k)") }
        // The oldest of the eleven samples kept: taken 66 minutes ago, as etcd's window has it.
        #expect(schedule.fire(revision: revision(20), now: at(20), leading: true) == revision(9))
        schedule.finished(succeeded: false, now: at(20))
        #expect(schedule.fire(revision: revision(21), now: at(21), leading: true) == revision(10))
        schedule.finished(succeeded: true, now: at(21))
        // A member that does not lead samples on and proposes nothing.
        for k in 22..<40 { #expect(schedule.fire(revision: revision(k), now: at(k), leading: false) == nil) }
        #expect(schedule.fire(revision: revision(40), now: at(40), leading: true) == revision(29))
    }

    @Test("revision: every five minutes, the revision less the retention, unless not positive or already compacted to")
    func revisionSchedule() {
        var schedule = RevisionCompaction(retention: 1000)
        #expect(schedule.fire(revision: 900, leading: true) == nil)
        #expect(schedule.fire(revision: 1500, leading: true) == 500)
        schedule.finished(revision: 500, succeeded: true)
        #expect(schedule.fire(revision: 1500, leading: true) == nil)
        #expect(schedule.fire(revision: 2600, leading: false) == nil)
        #expect(schedule.fire(revision: 2600, leading: true) == 1600)
        schedule.finished(revision: 1600, succeeded: false)
        #expect(schedule.fire(revision: 2600, leading: true) == 1600)
    }

    @Test("a compaction in flight holds the schedule until it ends")
    func inFlight() {
        var schedule = CompactionSchedule(.revision(retention: 10), revision: 1, now: start)
        #expect(schedule.interval == .minutes(5))
        #expect(schedule.fire(revision: 100, now: start, leading: true) == 90)
        #expect(schedule.fire(revision: 200, now: start, leading: true) == nil)
        schedule.finished(revision: 90, succeeded: true, now: start)
        #expect(schedule.fire(revision: 200, now: start, leading: true) == 190)
    }

    @Test("a member with --auto-compaction-retention 1s compacts its own history, through raft")
    func memberCompactsByItself() async throws {
        let directory = NSTemporaryDirectory() + "ferry-autocompact-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try MemberServerTests.configuration(directory, ["auto-compaction-retention": "1s"])
        let server = try MemberServer.start(configuration, logger: MemberServerTests.logger)
        let port = try #require(server.clientChannels.first?.localAddress?.port)
        let client = try await GRPCClient.connect(host: "127.0.0.1", port: port, group: group).get()
        let put: PutResponse = try await client.unary("/etcdserverpb.KV/Put", PutRequest(key: Data("k".utf8), value: Data("v".utf8)), timeout: .seconds(10))
        let written = try #require(put.header?.revision)
        // No client compacts: the member's own schedule does, once a retention has passed.
        let node = server.node
        try await eventually("a compaction to revision \(written)") {
            try await node.eventLoop.submit { node.kv.compactRevision }.get() >= written
        }
        await #expect(throws: GRPCStatus(code: .outOfRange, message: "etcdserver: mvcc: required revision has been compacted")) {
            let _: RangeResponse = try await client.unary("/etcdserverpb.KV/Range", RangeRequest(key: Data("k".utf8), revision: written - 1), timeout: .seconds(10))
        }
        try await client.close().get()
        server.stop()
        try await group.shutdownGracefully()
    }
}
