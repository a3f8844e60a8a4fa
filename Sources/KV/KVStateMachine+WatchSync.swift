import Foundation
import Wire

extension KVStateMachine {
    /// etcd's watchBatchMaxRevs: the most revisions one catch-up response carries.
    static let watchBatchRevisions = 1000
    /// The most log records one catch-up step reads, so a step never holds up apply long.
    static let watchScanLimit = 100_000

    /// One catch-up step of unsynced watcher `id`, etcd's syncWatchers for it: its events from
    /// its next revision on are read from the history and queued, in responses of at most
    /// 1,000 revisions carrying the store's revision, until about `maxBytes` are queued (whole
    /// revisions, at least one). Reaching the store's revision makes it synced again. When its
    /// next revision was compacted meanwhile, it is cancelled with the compaction revision.
    public func catchUpWatch(_ id: Int64, maxBytes: Int) {
        guard let watcher = watches.watchers[id], !watcher.synced else { return }
        let current = store.currentRevision
        if watcher.nextRevision < store.compactRevision {
            watches.cancel(id, revision: current, compactRevision: store.compactRevision)
            return
        }
        var batch: [Event] = []
        var batchRevisions = 0
        var lastMatched: Int64 = 0
        var bytes = 0
        var scanned = 0
        var next = current + 1
        var index = store.firstRecord(atOrAfter: watcher.nextRevision)
        while index < store.log.count {
            let record = store.log[index]
            if index > 0, store.log[index - 1].main != record.main, bytes >= maxBytes || scanned >= Self.watchScanLimit,
               scanned > 0 {
                next = record.main
                break
            }
            scanned += 1
            index += 1
            guard watcher.matches(store.keys.bytes(record.key)) else { continue }
            if record.main != lastMatched {
                lastMatched = record.main
                batchRevisions += 1
                if batchRevisions > Self.watchBatchRevisions {
                    if !batch.isEmpty { watches.queue(batch, to: id, headerRevision: current) }
                    batch = []
                    batchRevisions = 1
                }
            }
            if let event = event(Int32(index - 1), for: watcher) {
                bytes += WatchHub.size([event])
                batch.append(event)
            }
        }
        if !batch.isEmpty { watches.queue(batch, to: id, headerRevision: current) }
        watches.caughtUp(id, through: next, current: current)
    }
}
