import Foundation

/// One key of the store: its bytes and the newest revision the log holds for it.
struct KeyEntry {
    var key: ByteSlice
    var hash: UInt32
    /// Index in the revision log of the key's newest record, -1 when compaction left none.
    var newest: Int32
}

/// Every key the store has seen, each stored once and numbered: a `KeyID` stands for the key
/// everywhere else (the sorted index, the revision log), and an open-addressing hash table
/// finds the number of a key's bytes.
final class KeyTable {
    let arena = ByteArena()
    private(set) var entries: [KeyEntry] = []
    /// Key numbers by hash, -1 for an empty slot; at most half full.
    private var slots = [Int32](repeating: -1, count: 16)

    var count: Int { entries.count }

    func bytes(_ id: Int32) -> UnsafeRawBufferPointer { arena.bytes(entries[Int(id)].key) }

    func data(_ id: Int32) -> Data { arena.data(entries[Int(id)].key) }

    func newest(_ id: Int32) -> Int32 { entries[Int(id)].newest }

    func setNewest(_ id: Int32, _ index: Int32) { entries[Int(id)].newest = index }

    /// The number of `key`, nil when the table does not hold it.
    func find(_ key: UnsafeRawBufferPointer) -> Int32? {
        let hash = KeyTable.hash(key)
        let mask = slots.count - 1
        var i = Int(hash) & mask
        while true {
            let id = slots[i]
            if id < 0 { return nil }
            let entry = entries[Int(id)]
            if entry.hash == hash, compareBytes(arena.bytes(entry.key), key) == 0 { return id }
            i = (i + 1) & mask
        }
    }

    /// The number of `key`, adding it (with no revisions yet) when new.
    func findOrInsert(_ key: UnsafeRawBufferPointer) -> (id: Int32, inserted: Bool) {
        let hash = KeyTable.hash(key)
        var mask = slots.count - 1
        var i = Int(hash) & mask
        while true {
            let id = slots[i]
            if id < 0 { break }
            let entry = entries[Int(id)]
            if entry.hash == hash, compareBytes(arena.bytes(entry.key), key) == 0 { return (id, false) }
            i = (i + 1) & mask
        }
        let id = Int32(entries.count)
        entries.append(KeyEntry(key: arena.append(key), hash: hash, newest: -1))
        if entries.count * 2 > slots.count {
            grow()
            mask = slots.count - 1
            i = Int(hash) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
        }
        slots[i] = id
        return (id, true)
    }

    private func grow() {
        let capacity = slots.count * 2
        var fresh = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (id, entry) in entries.enumerated() where id < entries.count - 1 {
            var i = Int(entry.hash) & mask
            while fresh[i] >= 0 { i = (i + 1) & mask }
            fresh[i] = Int32(id)
        }
        slots = fresh
    }

    /// Approximate bytes held, for memory figures.
    var residentBytes: Int {
        arena.allocatedBytes + entries.capacity * MemoryLayout<KeyEntry>.stride + slots.count * 4
    }

    /// FNV-1a, 32 bits: keys are short, and it needs no seed, so runs are reproducible.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for byte in bytes { h = (h ^ UInt32(byte)) &* 16_777_619 }
        return h
    }
}
