import Foundation
import KV
import Testing
import Wire

@Suite struct WatchTests {
    /// Apply never waits for a watcher: events queue up, and a watcher whose consumer falls
    /// more than the buffer limit behind is cancelled with a reason; the others keep going.
    @Test func slowWatcherIsCancelledWithAReasonWithoutBlockingApply() throws {
        var driver = EntryDriver(KVStateMachine(configuration: KVConfiguration(watchBufferLimit: 10)))
        let slow = driver.machine.watch(WatchCreateRequest(key: Data("k".utf8)))
        let fast = driver.machine.watch(WatchCreateRequest(key: Data("k".utf8)))
        var fastEvents = 0
        for i in 0..<25 {
            driver.put("k", "\(i)")
            fastEvents += driver.machine.takeWatchResponses(fast).reduce(0) { $0 + $1.events.count }
        }
        #expect(driver.machine.revision == 26)
        #expect(fastEvents == 25)
        let responses = driver.machine.takeWatchResponses(slow)
        #expect(responses.first?.created == true)
        #expect(responses.reduce(0) { $0 + $1.events.count } == 10)
        let last = try #require(responses.last)
        #expect(last.canceled)
        #expect(!last.cancelReason.isEmpty)
        driver.put("k", "after")
        #expect(driver.machine.takeWatchResponses(slow).isEmpty)
    }

    /// A watcher that keeps up is never cancelled, however many events pass.
    @Test func watcherThatDrainsIsNeverCancelled() {
        var driver = EntryDriver(KVStateMachine(configuration: KVConfiguration(watchBufferLimit: 4)))
        let id = driver.machine.watch(WatchCreateRequest(key: Data("a".utf8), rangeEnd: Data([0])))
        for i in 0..<50 {
            driver.put("a\(i % 3)", "v")
            #expect(!driver.machine.takeWatchResponses(id).contains { $0.canceled })
        }
    }

    /// Progress notifications carry the current revision and no events.
    @Test func progressNotificationCarriesTheRevision() {
        var driver = EntryDriver()
        let id = driver.machine.watch(WatchCreateRequest(key: Data("p".utf8), progressNotify: true))
        _ = driver.machine.takeWatchResponses(id)
        driver.put("other", "x")
        driver.machine.notifyWatchProgress(requestedByClient: false)
        let responses = driver.machine.takeWatchResponses(id)
        #expect(responses.count == 1)
        #expect(responses.first?.events.isEmpty == true)
        #expect(responses.first?.header?.revision == 2)
    }
}

extension WatchTests {
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
