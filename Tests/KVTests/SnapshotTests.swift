import Foundation
import KV
import Testing
import Wire

@Suite struct SnapshotTests {
    /// After N applied entries (puts, deletes, txns, leases, a compaction), a restored store
    /// has the same hash, revisions, reads, leases and snapshot bytes, and keeps applying alike.
    @Test func restoreAfterAppliedEntriesEqualsTheOriginal() throws {
        var rng = SeededRandom(seed: 42)
        var driver = EntryDriver()
        _ = try driver.apply(InternalRaftRequest(leaseGrant: LeaseGrantRequest(ttl: 600, id: 77))).get()
        for step in 0..<500 {
            let key = "k\(Int.random(in: 0..<40, using: &rng))"
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: driver.delete(key)
            case 1: driver.put(key, "leased\(step)", lease: 77)
            default: driver.put(key, String(repeating: "v", count: step % 50))
            }
            if step == 300 { _ = try driver.apply(InternalRaftRequest(compaction: CompactionRequest(revision: 150))).get() }
        }
        let original = driver.machine
        let bytes = original.snapshot()
        #expect(original.snapshotSize == bytes.count)
        #expect(KVStateMachine().snapshotSize == KVStateMachine().snapshot().count)
        let restored = KVStateMachine()
        try restored.restore(snapshot: bytes)
        #expect(restored.snapshot() == bytes)
        #expect(try restored.hashKV() == original.hashKV())
        #expect(restored.revision == original.revision)
        #expect(restored.compactRevision == 150)
        let all = RangeRequest(key: Data([0]), rangeEnd: Data([0]))
        #expect(try restored.range(all) == original.range(all))
        let past = RangeRequest(key: Data([0]), rangeEnd: Data([0]), revision: 200)
        #expect(try restored.range(past) == original.range(past))
        let ttl = LeaseTimeToLiveRequest(id: 77, keys: true)
        #expect(restored.leaseTimeToLive(ttl, now: .seconds(0)) == original.leaseTimeToLive(ttl, now: .seconds(0)))

        var twin = EntryDriver(restored)
        twin.nextID = driver.nextID
        _ = try driver.apply(InternalRaftRequest(leaseRevoke: LeaseRevokeRequest(id: 77))).get()
        _ = try twin.apply(InternalRaftRequest(leaseRevoke: LeaseRevokeRequest(id: 77))).get()
        #expect(try restored.hashKV() == original.hashKV())
    }

    /// Damaged snapshot bytes are refused with a typed error and leave the store as it was.
    @Test func damagedSnapshotIsRefused() throws {
        var driver = EntryDriver()
        driver.put("a", "1")
        var bytes = driver.machine.snapshot()
        bytes[bytes.count / 2] ^= 0xFF
        let target = KVStateMachine()
        #expect(throws: KVSnapshotError.checksumMismatch) { try target.restore(snapshot: bytes) }
        #expect(throws: KVSnapshotError.notASnapshot) { try target.restore(snapshot: [1, 2, 3]) }
        #expect(target.revision == 1)
    }
}
