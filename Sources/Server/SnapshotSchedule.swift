/// When a member takes its next snapshot (etcd's --snapshot-count): once more than `count`
/// entries were applied since the last, one at a time, not while a compaction's rebuild is
/// pending (the snapshot would freeze the store it replaces).
struct SnapshotSchedule {
    let count: UInt64
    /// The index of the last snapshot saved or installed.
    private(set) var index: UInt64
    /// A snapshot's file is being written.
    private(set) var inProgress = false

    init(count: UInt64, index: UInt64) {
        self.count = count
        self.index = index
    }

    func isDue(applied: UInt64, compactionPending: Bool) -> Bool {
        !inProgress && !compactionPending && applied > index && applied - index > count
    }

    /// Whether nothing is being written and nothing is due: the schedule has settled.
    func isSettled(applied: UInt64) -> Bool { !inProgress && applied - index <= count }

    mutating func begin() { inProgress = true }

    /// The snapshot at `index` has been written; false when it is out of date (a newer one
    /// was installed meanwhile) and must not be saved.
    mutating func written(at index: UInt64) -> Bool {
        inProgress = false
        return index > self.index
    }

    /// The snapshot at `index` was saved or installed.
    mutating func took(at index: UInt64) { self.index = index }
}
