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

    /// An image keeps the bytes of the moment it was taken while the store goes on: puts that
    /// fill new arena chunks and large values, deletes, a lease, a compaction and a defragment
    /// that rebuild the store. Written in any piece size, on another thread while the store
    /// changes, it gives those bytes.
    @Test func snapshotImageKeepsTheStateOfItsMoment() async throws {
        var driver = EntryDriver()
        for i in 0..<3000 { driver.put("k\(i % 700)", String(repeating: "v", count: i % 300)) }
        driver.put("big", String(repeating: "b", count: 300 * 1024))
        let machine = driver.machine
        let expected = machine.snapshot()
        let image = machine.snapshotImage()
        let written = Task.detached {
            var pieces: [UInt8] = []
            image.write(piece: 4096) { (raw: UnsafeRawBufferPointer) in pieces.append(contentsOf: raw) }
            return pieces
        }
        for i in 0..<3000 { driver.put("n\(i)", String(repeating: "w", count: 500)) }
        driver.put("big", String(repeating: "c", count: 400 * 1024))
        driver.delete("k1", end: "k5")
        _ = try driver.apply(InternalRaftRequest(leaseGrant: LeaseGrantRequest(ttl: 600, id: 9))).get()
        _ = try driver.apply(InternalRaftRequest(compaction: CompactionRequest(revision: 3500))).get()
        machine.defragment()
        #expect(machine.snapshot() != expected)
        #expect(await written.value == expected)
        #expect(image.serialized() == expected)
        var small: [UInt8] = []
        image.write(piece: 7) { (raw: UnsafeRawBufferPointer) in small.append(contentsOf: raw) }
        #expect(small == expected)
        let restored = KVStateMachine()
        try restored.restore(snapshot: image.serialized())
        #expect(restored.revision == 3002)
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
