import Foundation
import KV
import Testing
import Wire

/// A compaction whose rebuild runs on another thread leaves the store as a compaction done at
/// once does, whatever was written between the two; reads in between see only what the
/// compaction keeps.
@Suite("compaction with the rebuild off the state machine's thread")
struct CompactionOffThreadTests {
    /// Every key at the current revision and at each revision from `from` on, as the twin reads it.
    func reads(_ driver: EntryDriver, from: Int64) throws -> [RangeResponse] {
        var out = [try driver.get("\u{0}", end: "\u{0}")]
        let current = driver.machine.revision
        for revision in stride(from: max(from, 1), through: current, by: Int64.Stride(max(1, (current - from) / 7))) {
            out.append(try driver.get("\u{0}", end: "\u{0}", revision: revision))
        }
        return out.map { response in
            var r = response
            r.header = nil
            return r
        }
    }

    func randomStep(_ a: inout EntryDriver, _ b: inout EntryDriver, _ rng: inout SeededRandom, _ step: Int) {
        let key = "k\(Int.random(in: 0..<60, using: &rng))"
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            a.delete(key)
            b.delete(key)
        case 1:
            a.delete("k1", end: "k3")
            b.delete("k1", end: "k3")
        case 2:
            let fresh = "new\(step)"
            a.put(fresh, "x")
            b.put(fresh, "x")
        default:
            let value = String(repeating: "v", count: Int.random(in: 0..<400, using: &rng))
            a.put(key, value)
            b.put(key, value)
        }
    }

    @Test("random writes before, between and after: reads agree throughout, and once installed the snapshot bytes are equal",
          arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func sameAsAtOnce(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var atOnce = EntryDriver()
        let offThread = KVStateMachine()
        var jobs: [CompactionRebuild] = []
        offThread.offThreadCompaction = { jobs.append($0) }
        var later = EntryDriver(offThread)
        for step in 0..<400 { randomStep(&atOnce, &later, &rng, step) }
        for round in 0..<3 {
            let target = atOnce.machine.revision - Int64.random(in: 0..<100, using: &rng)
            let compaction = InternalRaftRequest(compaction: CompactionRequest(revision: target))
            _ = try atOnce.apply(compaction).get()
            _ = try later.apply(compaction).get()
            #expect(offThread.compactionPending)
            #expect(offThread.compactRevision == target)
            #expect(throws: KVError.compacted) { try later.get("k1", revision: target - 1) }
            for step in 0..<Int.random(in: 0..<300, using: &rng) { randomStep(&atOnce, &later, &rng, 1000 * (round + 1) + step) }
            #expect(try reads(later, from: target) == reads(atOnce, from: target))
            let job = try #require(jobs.last)
            let ran = DispatchSemaphore(value: 0)
            Thread {
                job.run()
                ran.signal()
            }.start()
            for step in 0..<50 { randomStep(&atOnce, &later, &rng, 5000 * (round + 1) + step) }
            ran.wait()
            #expect(offThread.finishCompaction(job))
            #expect(!offThread.compactionPending)
            #expect(offThread.snapshotSize == atOnce.machine.snapshotSize)
            #expect(offThread.snapshot() == atOnce.machine.snapshot())
            for step in 0..<100 { randomStep(&atOnce, &later, &rng, 9000 * (round + 1) + step) }
            #expect(offThread.snapshot() == atOnce.machine.snapshot())
        }
    }

    @Test("what needs the compacted store waits for it: a snapshot, HashKV, another compaction, a defragment")
    func settling() throws {
        var rng = SeededRandom(seed: 9)
        var atOnce = EntryDriver()
        let offThread = KVStateMachine()
        offThread.offThreadCompaction = { _ in }  // never run elsewhere: whoever needs it runs it
        var later = EntryDriver(offThread)
        for step in 0..<300 { randomStep(&atOnce, &later, &rng, step) }
        func compact(_ revision: Int64) throws {
            _ = try atOnce.apply(InternalRaftRequest(compaction: CompactionRequest(revision: revision))).get()
            _ = try later.apply(InternalRaftRequest(compaction: CompactionRequest(revision: revision))).get()
        }
        let top = atOnce.machine.revision
        try compact(top / 3)
        #expect(offThread.snapshot() == atOnce.machine.snapshot())
        #expect(!offThread.compactionPending)
        try compact(top / 2)
        #expect(try offThread.hashKV() == atOnce.machine.hashKV())
        try compact(top * 6 / 10)
        try compact(top * 7 / 10)
        #expect(offThread.snapshot() == atOnce.machine.snapshot())
        try compact(top * 8 / 10)
        offThread.defragment()
        atOnce.machine.defragment()
        #expect(offThread.snapshot() == atOnce.machine.snapshot())
        try compact(top * 9 / 10)
        let restored = atOnce.machine.snapshot()
        try offThread.restore(snapshot: restored)
        #expect(!offThread.compactionPending)
        #expect(offThread.snapshot() == restored)
    }
}
