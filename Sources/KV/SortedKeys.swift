/// The key numbers of a `KeyTable` in bytewise key order, for ranges.
///
/// Two sorted runs: a large settled run and a small recent one. A new key is inserted into the
/// recent run (a short move); when that grows past about the square root of the whole, it is
/// merged into the settled run in one pass. Inserting stays cheap at a million keys without a
/// tree of objects, and a range walks both runs side by side.
struct SortedKeys {
    private var settled: [Int32] = []
    private var recent: [Int32] = []

    var count: Int { settled.count + recent.count }

    mutating func insert(_ id: Int32, keys: KeyTable) {
        let key = keys.bytes(id)
        let at = SortedKeys.lowerBound(recent, key, keys)
        recent.insert(id, at: at)
        if recent.count > 256, recent.count * recent.count > settled.count * 4 { merge(keys) }
    }

    /// Replaces the contents with `ids`, already in key order.
    mutating func reset(sorted ids: [Int32]) {
        settled = ids
        recent = []
    }

    /// Calls `body` with each key number in [start, end) in key order until it returns false;
    /// an empty `end` means no upper bound.
    func forEach(from start: UnsafeRawBufferPointer, to end: UnsafeRawBufferPointer, keys: KeyTable,
                 _ body: (Int32) -> Bool) {
        var i = SortedKeys.lowerBound(settled, start, keys)
        var j = SortedKeys.lowerBound(recent, start, keys)
        while i < settled.count || j < recent.count {
            let id: Int32
            if j == recent.count {
                id = settled[i]; i += 1
            } else if i == settled.count {
                id = recent[j]; j += 1
            } else if compareBytes(keys.bytes(settled[i]), keys.bytes(recent[j])) < 0 {
                id = settled[i]; i += 1
            } else {
                id = recent[j]; j += 1
            }
            if !end.isEmpty, compareBytes(keys.bytes(id), end) >= 0 { return }
            if !body(id) { return }
        }
    }

    /// Every key number in key order.
    func all(keys: KeyTable) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(count)
        forEach(from: UnsafeRawBufferPointer(start: nil, count: 0), to: UnsafeRawBufferPointer(start: nil, count: 0),
                keys: keys) { out.append($0); return true }
        return out
    }

    var residentBytes: Int { (settled.capacity + recent.capacity) * 4 }

    private mutating func merge(_ keys: KeyTable) {
        var merged: [Int32] = []
        merged.reserveCapacity(settled.count + recent.count)
        var from = 0
        for id in recent {
            // Each recent key finds its place by binary search; the run before it is copied whole.
            let at = SortedKeys.lowerBound(settled, keys.bytes(id), keys, from: from)
            merged.append(contentsOf: settled[from..<at])
            merged.append(id)
            from = at
        }
        merged.append(contentsOf: settled[from...])
        settled = merged
        recent.removeAll(keepingCapacity: true)
    }

    private static func lowerBound(_ run: [Int32], _ key: UnsafeRawBufferPointer, _ keys: KeyTable, from: Int = 0) -> Int {
        var low = from
        var high = run.count
        while low < high {
            let mid = (low + high) / 2
            if compareBytes(keys.bytes(run[mid]), key) < 0 { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
