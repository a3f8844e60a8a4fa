import Foundation

/// Compaction and defragmentation: the store is rebuilt without what they drop. A compaction
/// can take effect at once and have its rebuild computed on another thread
/// (`beginCompaction`, `CompactionRebuild.run`, `finishCompaction`), so a large store does not
/// hold the state machine's thread for the whole rebuild.
extension MVCCStore {
    /// Checks a compaction to `revision` as etcd's updateCompactRev does.
    func checkCompaction(_ revision: Int64) throws(KVError) {
        if revision <= compactRevision { throw .compacted }
        if revision > currentRevision { throw .futureRevision }
    }

    /// Drops what etcd's compaction drops: of each key, every record older than its newest one
    /// at or below `revision`, and that one too when it is a deletion. The log, the key table
    /// and the value arena are rebuilt without them, so memory is returned.
    func compact(to revision: Int64) throws(KVError) {
        settleCompaction()
        try checkCompaction(revision)
        compactRevision = revision
        install(Self.rebuilt(StoreView(self), sorted: order.all(keys: keys), dropping: revision, renumberInKeyOrder: true))
    }

    /// Rebuilds everything packed: arenas without unused chunk ends, a log without spare
    /// capacity. Keys keep their numbers, so the snapshot (and the Hash of it) stays the same.
    func defragment() {
        settleCompaction()
        install(Self.rebuilt(StoreView(self), sorted: order.all(keys: keys), dropping: nil, renumberInKeyOrder: false))
    }

    /// A compaction that takes effect now (reads below `revision` are refused from here on,
    /// as etcd's are once its compaction is scheduled) and whose rebuild the caller runs on
    /// any thread, then hands to `finishCompaction` here. Until then the dropped records stay
    /// in the store, where no read at or after `revision` can see them.
    func beginCompaction(to revision: Int64) throws(KVError) -> CompactionRebuild {
        settleCompaction()
        try checkCompaction(revision)
        compactRevision = revision
        let job = CompactionRebuild(view: StoreView(self), sorted: order.all(keys: keys), revision: revision)
        pendingCompaction = job
        return job
    }

    /// Installs a rebuild `run` has computed, then appends the records written since it was
    /// begun, as they were written: the store is then what compacting at once would have made.
    /// False when `job` is not pending (settled already) or has not run.
    @discardableResult
    func finishCompaction(_ job: CompactionRebuild) -> Bool {
        guard pendingCompaction === job, let rebuilt = job.takeResult() else { return false }
        pendingCompaction = nil
        let (oldKeys, oldValues, oldLog) = (keys, values, log)
        install(rebuilt)
        for index in job.base..<oldLog.count {
            var record = oldLog[index]
            let key = oldKeys.bytes(record.key)
            let (id, inserted) = keys.findOrInsert(key)
            if inserted {
                order.insert(id, keys: keys)
                snapshotBytes += Self.snapshotKeyOverhead + key.count
            }
            record.key = id
            record.previous = keys.newest(id)
            record.value = values.append(oldValues.bytes(record.value))
            snapshotBytes += Self.snapshotRecordOverhead + Int(record.value.count)
            keys.setNewest(id, Int32(log.count))
            log.append(record)
        }
        return true
    }

    /// Finishes a compaction begun and not yet finished, waiting for its rebuild (or
    /// computing it here when nothing has run it): what needs the store as compacted.
    func settleCompaction() {
        guard let job = pendingCompaction else { return }
        job.runOrWait()
        finishCompaction(job)
    }

    private func install(_ rebuilt: Rebuilt) {
        keys = rebuilt.keys
        values = rebuilt.values
        log = rebuilt.log
        order.reset(sorted: rebuilt.sorted)
        snapshotBytes = rebuilt.snapshotBytes
    }

    /// A store rebuilt from `view`, whose key numbers in key order are `sorted`: without what
    /// a compaction at `revision` drops (nothing when nil); keys numbered afresh in key order,
    /// or keeping their order of numbers.
    static func rebuilt(_ view: StoreView, sorted: [Int32], dropping revision: Int64?, renumberInKeyOrder: Bool) -> Rebuilt {
        let log = view.log
        var retained = [Bool](repeating: true, count: log.count)
        if let revision {
            for id in 0..<Int32(view.keyCount) {
                var i = view.newest(id)
                while i >= 0, log[Int(i)].main > revision { i = log[Int(i)].previous }
                guard i >= 0 else { continue }
                var drop = log[Int(i)].isTombstone ? i : log[Int(i)].previous
                while drop >= 0 {
                    retained[Int(drop)] = false
                    drop = log[Int(drop)].previous
                }
            }
        }
        let freshKeys = KeyTable()
        let freshValues = ByteArena()
        var keyMap = [Int32](repeating: -1, count: view.keyCount)
        var hasRecords = [Bool](repeating: false, count: view.keyCount)
        for (i, record) in log.enumerated() where retained[i] { hasRecords[Int(record.key)] = true }
        for id in renumberInKeyOrder ? sorted : Array(0..<Int32(view.keyCount)) where hasRecords[Int(id)] {
            keyMap[Int(id)] = freshKeys.findOrInsert(view.keyBytes(id)).id
        }
        let freshSorted = sorted.map { keyMap[Int($0)] }.filter { $0 >= 0 }
        var indexMap = [Int32](repeating: -1, count: log.count)
        var fresh: [RevisionRecord] = []
        fresh.reserveCapacity(retained.lazy.filter { $0 }.count)
        var snapshotBytes = 0
        for id in 0..<Int32(freshKeys.count) { snapshotBytes += snapshotKeyOverhead + freshKeys.bytes(id).count }
        for (i, var record) in log.enumerated() where retained[i] {
            indexMap[i] = Int32(fresh.count)
            record.key = keyMap[Int(record.key)]
            record.previous = record.previous >= 0 ? indexMap[Int(record.previous)] : -1
            record.value = freshValues.append(view.valueBytes(record.value))
            snapshotBytes += snapshotRecordOverhead + Int(record.value.count)
            freshKeys.setNewest(record.key, Int32(fresh.count))
            fresh.append(record)
        }
        return Rebuilt(keys: freshKeys, values: freshValues, log: fresh, sorted: freshSorted, snapshotBytes: snapshotBytes)
    }
}

/// What a rebuild produces: a store's contents, owned by whoever holds them.
struct Rebuilt: @unchecked Sendable {
    let keys: KeyTable
    let values: ByteArena
    let log: [RevisionRecord]
    let sorted: [Int32]
    let snapshotBytes: Int
}

/// The store's contents as of one moment, readable from any thread while the store goes on:
/// copies of its arrays (copy-on-write) and views of its append-only arenas.
struct StoreView: @unchecked Sendable {
    let log: [RevisionRecord]
    let keyEntries: [KeyEntry]
    let keyBytes: ByteArena.Frozen
    let values: ByteArena.Frozen

    init(_ store: MVCCStore) {
        log = store.log
        keyEntries = store.keys.entries
        keyBytes = store.keys.arena.frozen
        values = store.values.frozen
    }

    var keyCount: Int { keyEntries.count }
    func newest(_ id: Int32) -> Int32 { keyEntries[Int(id)].newest }
    func keyBytes(_ id: Int32) -> UnsafeRawBufferPointer { keyBytes.bytes(keyEntries[Int(id)].key) }
    func valueBytes(_ slice: ByteSlice) -> UnsafeRawBufferPointer { values.bytes(slice) }
}

/// The rebuild of one compaction, run once on whichever thread gets to it first.
public final class CompactionRebuild: @unchecked Sendable {
    let revision: Int64
    /// The log records the view holds; later ones are appended when it is installed.
    let base: Int
    private var view: StoreView?
    private let sorted: [Int32]
    private var result: Rebuilt?
    private let condition = NSCondition()
    private var state = State.waiting

    private enum State { case waiting, running, done }

    init(view: StoreView, sorted: [Int32], revision: Int64) {
        self.view = view
        self.sorted = sorted
        self.revision = revision
        base = view.log.count
    }

    /// Computes the rebuild, unless it is already being or was computed. Any thread.
    public func run() {
        condition.lock()
        guard state == .waiting, let view else {
            condition.unlock()
            return
        }
        state = .running
        condition.unlock()
        let rebuilt = MVCCStore.rebuilt(view, sorted: sorted, dropping: revision, renumberInKeyOrder: true)
        condition.lock()
        result = rebuilt
        self.view = nil
        state = .done
        condition.broadcast()
        condition.unlock()
    }

    /// Runs the rebuild here if nothing has started it, else waits for it.
    func runOrWait() {
        run()
        condition.lock()
        while state != .done { condition.wait() }
        condition.unlock()
    }

    /// The rebuild, once computed; nil before.
    func takeResult() -> Rebuilt? {
        condition.lock()
        defer { condition.unlock() }
        guard state == .done else { return nil }
        defer { result = nil }
        return result
    }
}
