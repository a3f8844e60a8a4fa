import Wire

/// The tail of the log not yet persisted: entries from `offset` on and perhaps an
/// incoming snapshot (etcd's `unstable`). Index i is `entries[i - offset]`.
struct UnstableLog {
    var snapshot: Snapshot?
    var entries: [Entry] = []
    var offset: UInt64

    init(offset: UInt64) { self.offset = offset }

    /// The first index, known here only while a snapshot is pending.
    var firstIndex: UInt64? { snapshot.map { $0.metadata.index + 1 } }

    var lastIndex: UInt64? {
        if !entries.isEmpty { return offset + UInt64(entries.count) - 1 }
        return snapshot?.metadata.index
    }

    func term(at index: UInt64) -> UInt64? {
        if index < offset {
            if let snapshot, snapshot.metadata.index == index { return snapshot.metadata.term }
            return nil
        }
        guard let last = lastIndex, index <= last else { return nil }
        return entries[Int(index - offset)].term
    }

    /// Drops the entries persisted up to `index` at `term`; a mismatch means they were
    /// replaced meanwhile and stay.
    mutating func stable(to index: UInt64, term: UInt64) {
        guard let known = self.term(at: index), known == term, index >= offset else { return }
        entries.removeFirst(Int(index + 1 - offset))
        offset = index + 1
    }

    mutating func stableSnapshot(to index: UInt64) {
        if snapshot?.metadata.index == index { snapshot = nil }
    }

    mutating func restore(_ snapshot: Snapshot) {
        offset = snapshot.metadata.index + 1
        entries = []
        self.snapshot = snapshot
    }

    mutating func truncateAndAppend(_ newEntries: [Entry], logger: Logging) {
        let after = newEntries[0].index
        if after == offset + UInt64(entries.count) {
            entries.append(contentsOf: newEntries)
        } else if after <= offset {
            logger.info("replace the unstable entries from index \(after)")
            offset = after
            entries = newEntries
        } else {
            logger.info("truncate the unstable entries before index \(after)")
            entries.removeSubrange(Int(after - offset)...)
            entries.append(contentsOf: newEntries)
        }
    }

    func slice(_ range: Range<UInt64>) -> ArraySlice<Entry> {
        precondition(range.lowerBound >= offset && range.upperBound <= offset + UInt64(entries.count),
                     "unstable.slice[\(range.lowerBound),\(range.upperBound)) out of bound [\(offset),\(offset + UInt64(entries.count))]")
        return entries[Int(range.lowerBound - offset)..<Int(range.upperBound - offset)]
    }
}
