import Foundation
import Wire

/// etcd's multi-version store (mvcc/kvstore.go): every put and delete appended to a log in
/// revision order, keys numbered once, values packed in an arena. Reads at any retained
/// revision walk a key's records from newest to oldest.
final class MVCCStore {
    var keys = KeyTable()
    var order = SortedKeys()
    var log: [RevisionRecord] = []
    var values = ByteArena()

    /// The revision of the last write transaction that changed something; 1 when empty.
    private(set) var currentRevision: Int64 = 1
    /// The revision of the last compaction, -1 before any.
    var compactRevision: Int64 = -1
    /// Bytes the keys and records take in the KV snapshot, kept as they change so the
    /// database size is known without writing one.
    var snapshotBytes = 0

    /// A compaction applied whose rebuild is still being computed (see `beginCompaction`).
    var pendingCompaction: CompactionRebuild?

    /// A key's and a record's bytes in the KV snapshot besides their key and value bytes.
    static let snapshotKeyOverhead = 4
    static let snapshotRecordOverhead = 8 + 4 + 4 + 1 + 8 + 8 + 8 + 4

    init() {}

    // MARK: Writing

    func beginWrite() -> WriteTxn { WriteTxn(beginRevision: currentRevision) }

    /// Ends a write transaction; the store's revision moves on when it changed anything.
    func commit(_ txn: WriteTxn) {
        if !txn.changes.isEmpty { currentRevision = txn.revision }
    }

    /// Puts `value` under `key` in `txn`; returns the lease the key was attached to before.
    @discardableResult
    func put(_ txn: inout WriteTxn, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, lease: Int64) -> Int64 {
        let (id, inserted) = keys.findOrInsert(key)
        if inserted {
            order.insert(id, keys: keys)
            snapshotBytes += Self.snapshotKeyOverhead + key.count
        }
        snapshotBytes += Self.snapshotRecordOverhead + value.count
        let previous = keys.newest(id)
        var createRevision = txn.revision
        var version: Int64 = 1
        var oldLease: Int64 = 0
        if previous >= 0 {
            let p = log[Int(previous)]
            if !p.isTombstone {
                createRevision = p.createRevision
                version = p.version + 1
                oldLease = p.lease
            }
        }
        let index = Int32(log.count)
        log.append(RevisionRecord(
            main: txn.revision, createRevision: createRevision, version: version, lease: lease,
            value: values.append(value), sub: Int32(txn.changes.count), key: id, previous: previous, isTombstone: false))
        keys.setNewest(id, index)
        txn.changes.append(index)
        return oldLease
    }

    /// Deletes the live keys in [key, end) (one key when `end` is nil) in `txn`, calling
    /// `deleted` with each key number and the lease it was attached to.
    func deleteRange(_ txn: inout WriteTxn, key: UnsafeRawBufferPointer, end: UnsafeRawBufferPointer?,
                     deleted: (Int32, Int64) -> Void) -> Int64 {
        let live = liveKeys(key: key, end: end, at: txn.readRevision)
        for id in live {
            let previous = keys.newest(id)
            let lease = log[Int(previous)].lease
            let index = Int32(log.count)
            log.append(RevisionRecord(
                main: txn.revision, createRevision: 0, version: 0, lease: 0, value: .empty,
                sub: Int32(txn.changes.count), key: id, previous: previous, isTombstone: true))
            snapshotBytes += Self.snapshotRecordOverhead
            keys.setNewest(id, index)
            txn.changes.append(index)
            deleted(id, lease)
        }
        return Int64(live.count)
    }

    // MARK: Reading

    /// The index of the record that holds `id`'s value at `revision`, nil when the key does
    /// not exist then.
    func visible(_ id: Int32, at revision: Int64) -> Int32? {
        var i = keys.newest(id)
        while i >= 0 {
            let record = log[Int(i)]
            if record.main <= revision { return record.isTombstone ? nil : i }
            i = record.previous
        }
        return nil
    }

    /// The records of the keys alive at `revision` in [key, end), in key order; one key when
    /// `end` is nil, every key from `key` on when `end` is empty.
    func liveRecords(key: UnsafeRawBufferPointer, end: UnsafeRawBufferPointer?, at revision: Int64) -> [Int32] {
        var out: [Int32] = []
        guard let end else {
            if let id = keys.find(key), let record = visible(id, at: revision) { out.append(record) }
            return out
        }
        order.forEach(from: key, to: end, keys: keys) { id in
            if let record = visible(id, at: revision) { out.append(record) }
            return true
        }
        return out
    }

    private func liveKeys(key: UnsafeRawBufferPointer, end: UnsafeRawBufferPointer?, at revision: Int64) -> [Int32] {
        liveRecords(key: key, end: end, at: revision).map { log[Int($0)].key }
    }

    /// Checks a read at `revision` (0 for `current`) the way etcd's rangeKeys does and returns
    /// the revision to read at.
    func readRevision(_ revision: Int64, current: Int64) throws(KVError) -> Int64 {
        if revision > current { throw .futureRevision }
        let at = revision <= 0 ? current : revision
        if at < compactRevision { throw .compacted }
        return at
    }

    func keyData(_ record: Int32) -> Data { keys.data(log[Int(record)].key) }

    func valueBytes(_ record: Int32) -> UnsafeRawBufferPointer { values.bytes(log[Int(record)].value) }

    /// The record as etcd's mvccpb.KeyValue; a tombstone holds only its key and revision.
    func keyValue(_ record: Int32, withValue: Bool = true) -> KeyValue {
        let r = log[Int(record)]
        if r.isTombstone { return KeyValue(key: keys.data(r.key), modRevision: r.main) }
        return KeyValue(key: keys.data(r.key), createRevision: r.createRevision, modRevision: r.main,
                        version: r.version, value: withValue ? values.data(r.value) : Data(), lease: r.lease)
    }

    /// The index of the first record at or after revision `main`.
    func firstRecord(atOrAfter main: Int64) -> Int {
        var low = 0
        var high = log.count
        while low < high {
            let mid = (low + high) / 2
            if log[mid].main < main { low = mid + 1 } else { high = mid }
        }
        return low
    }

    // MARK: Restoring

    /// Replaces the contents with a snapshot's: `keys` by number, and records in revision
    /// order whose `key` fields number into `keys`, with their values.
    func restore(revision: Int64, compactRevision: Int64, keys restoredKeys: [[UInt8]],
                 records: [(record: RevisionRecord, value: [UInt8])]) {
        let freshKeys = KeyTable()
        let freshValues = ByteArena()
        let ids = restoredKeys.map { key in key.withUnsafeBytes { freshKeys.findOrInsert($0).id } }
        var fresh: [RevisionRecord] = []
        fresh.reserveCapacity(records.count)
        for (var record, value) in records {
            record.key = ids[Int(record.key)]
            record.previous = freshKeys.newest(record.key)
            record.value = value.withUnsafeBytes { freshValues.append($0) }
            freshKeys.setNewest(record.key, Int32(fresh.count))
            fresh.append(record)
        }
        var sorted = Array(0..<Int32(freshKeys.count))
        sorted.sort { compareBytes(freshKeys.bytes($0), freshKeys.bytes($1)) < 0 }
        pendingCompaction = nil  // its view is of the store this replaces
        keys = freshKeys
        values = freshValues
        log = fresh
        order.reset(sorted: sorted)
        currentRevision = revision
        self.compactRevision = compactRevision
        countSnapshotBytes()
    }

    func countSnapshotBytes() {
        var total = 0
        for id in 0..<Int32(keys.count) { total += Self.snapshotKeyOverhead + keys.bytes(id).count }
        for record in log { total += Self.snapshotRecordOverhead + Int(record.value.count) }
        snapshotBytes = total
    }

    /// Approximate bytes held, for memory figures.
    var residentBytes: Int {
        keys.residentBytes + values.allocatedBytes + order.residentBytes + log.capacity * MemoryLayout<RevisionRecord>.stride
    }
}
