import Foundation
import KV
import Testing
import Wire

@Suite struct WatchTests {
    /// Takes and catches up watcher `id` until it is synced; every event it got, in order.
    static func drain(_ machine: KVStateMachine, _ id: Int64, stepBytes: Int) -> [Event] {
        var events = machine.takeWatchResponses(id).flatMap(\.events)
        while machine.isWatchBehind(id) {
            machine.catchUpWatch(id, maxBytes: stepBytes)
            events += machine.takeWatchResponses(id).flatMap(\.events)
        }
        return events
    }

    /// Apply never waits for a watcher: a watcher whose waiting events would pass its buffer
    /// stops being fed (unsynced), the KV keeps no more for it, and catching up from the
    /// history gives it every event in order; the others keep going meanwhile.
    @Test func slowWatcherFallsBehindThenCatchesUpFromTheHistory() throws {
        var driver = EntryDriver(KVStateMachine(configuration: KVConfiguration(watchBufferBytes: 200)))
        let slow = driver.machine.watch(WatchCreateRequest(key: Data("k".utf8)))
        let fast = driver.machine.watch(WatchCreateRequest(key: Data("k".utf8)))
        var fastEvents = 0
        for i in 0..<25 {
            driver.put("k", "value-\(i)")
            fastEvents += driver.machine.takeWatchResponses(fast).reduce(0) { $0 + $1.events.count }
        }
        #expect(driver.machine.revision == 26)
        #expect(fastEvents == 25)
        #expect(driver.machine.isWatchBehind(slow))
        #expect(!driver.machine.isWatchBehind(fast))
        #expect(driver.machine.watchQueuedBytes <= 200)

        let events = Self.drain(driver.machine, slow, stepBytes: 100)
        #expect(events.map { $0.kv?.modRevision } == Array(2...26).map { Int64($0) })
        #expect(events.last?.kv?.value == Data("value-24".utf8))
        #expect(!driver.machine.isWatchBehind(slow))
        driver.put("k", "after")
        #expect(driver.machine.takeWatchResponses(slow).flatMap(\.events).map { $0.kv?.value } == [Data("after".utf8)])
    }

    /// A watcher that keeps up never falls behind, however many events pass.
    @Test func watcherThatDrainsNeverFallsBehind() {
        var driver = EntryDriver(KVStateMachine(configuration: KVConfiguration(watchBufferBytes: 64)))
        let id = driver.machine.watch(WatchCreateRequest(key: Data("a".utf8), rangeEnd: Data([0])))
        for i in 0..<50 {
            driver.put("a\(i % 3)", "v")
            #expect(driver.machine.takeWatchResponses(id).flatMap(\.events).count == 1)
            #expect(!driver.machine.isWatchBehind(id))
        }
    }

    /// History comes in responses of at most 1,000 revisions (etcd's watchBatchMaxRevs), each
    /// with the store's revision in its header.
    @Test func historyComesInBatchesOfAThousandRevisions() {
        var driver = EntryDriver(KVStateMachine(configuration: KVConfiguration(watchBufferBytes: 1 << 30)))
        for i in 0..<2_500 { driver.put("h\(i % 7)", "v") }
        let id = driver.machine.watch(WatchCreateRequest(key: Data("h".utf8), rangeEnd: Data("i".utf8), startRevision: 1))
        let responses = driver.machine.takeWatchResponses(id)
        #expect(responses.map(\.events.count) == [0, 1_000, 1_000, 500])
        #expect(responses.dropFirst().allSatisfy { $0.header?.revision == 2_501 })
        #expect(!driver.machine.isWatchBehind(id))
    }

    /// A watcher whose next revision is compacted while it is behind is cancelled with the
    /// compaction revision and no revision in its header, as etcd's chooseAll does.
    @Test func compactionWhileBehindCancelsWithTheCompactRevision() throws {
        var driver = EntryDriver(KVStateMachine(configuration: KVConfiguration(watchBufferBytes: 50)))
        let id = driver.machine.watch(WatchCreateRequest(key: Data("c".utf8)))
        _ = driver.machine.takeWatchResponses(id)
        for i in 0..<10 { driver.put("c", "value-\(i)") }
        #expect(driver.machine.isWatchBehind(id))
        _ = try driver.apply(InternalRaftRequest(compaction: CompactionRequest(revision: 8))).get()
        driver.machine.catchUpWatch(id, maxBytes: 1 << 20)
        let last = try #require(driver.machine.takeWatchResponses(id).last)
        #expect(last.canceled && last.compactRevision == 8)
        #expect(last.header?.revision == 0)
        #expect(!driver.machine.isWatchBehind(id))
    }

    /// Watchers survive a snapshot restore: they fall behind and are caught up from the
    /// restored history, as etcd's Restore moves synced watchers to the unsynced group.
    @Test func restoreCatchesWatchersUpFromTheNewHistory() throws {
        var leader = EntryDriver()
        for i in 0..<5 { leader.put("r\(i)", "v\(i)") }
        var follower = EntryDriver()
        follower.put("r0", "v0")
        let id = follower.machine.watch(WatchCreateRequest(key: Data("r".utf8), rangeEnd: Data("s".utf8)))
        _ = follower.machine.takeWatchResponses(id)
        try follower.machine.restore(snapshot: leader.machine.snapshot())
        #expect(follower.machine.isWatchBehind(id))
        let events = Self.drain(follower.machine, id, stepBytes: 1 << 20)
        #expect(events.map { $0.kv?.key } == (1..<5).map { Data("r\($0)".utf8) })
    }
}

extension WatchTests {
    /// Progress ticks carry the current revision and no events, and skip a watcher that was
    /// sent events since the last tick (etcd's sendLoop elides that one).
    @Test func progressNotificationCarriesTheRevision() {
        var driver = EntryDriver()
        let id = driver.machine.watch(WatchCreateRequest(key: Data("p".utf8), progressNotify: true))
        _ = driver.machine.takeWatchResponses(id)
        driver.put("other", "x")
        driver.machine.notifyWatchProgress()
        let responses = driver.machine.takeWatchResponses(id)
        #expect(responses.count == 1)
        #expect(responses.first?.events.isEmpty == true)
        #expect(responses.first?.header?.revision == 2)

        driver.put("p", "y")
        _ = driver.machine.takeWatchResponses(id)
        driver.machine.notifyWatchProgress()
        #expect(driver.machine.takeWatchResponses(id).isEmpty)
        driver.machine.notifyWatchProgress()
        #expect(driver.machine.takeWatchResponses(id).map { $0.header?.revision } == [3])
    }

    /// A start revision in the future delivers nothing before that revision (etcd's minRev).
    @Test func futureStartRevisionWaitsForIt() {
        var driver = EntryDriver()
        let id = driver.machine.watch(WatchCreateRequest(key: Data("f".utf8), startRevision: 4))
        driver.put("f", "2")
        driver.put("f", "3")
        driver.put("f", "4")
        let events = driver.machine.takeWatchResponses(id).flatMap(\.events)
        #expect(events.map { $0.kv?.modRevision } == [4])
    }
}
