import Foundation
import Wire

/// What one watcher asked for (a key or a range, filters, whether events carry the previous
/// value) and how far it has got.
struct Watcher {
    let id: Int64
    let key: Data
    /// nil for one key; empty for every key from `key` on.
    let end: Data?
    let prevKV: Bool
    let dropsPuts: Bool
    let dropsDeletes: Bool
    let progressNotify: Bool
    /// etcd's minRev: the first revision whose events are still due to it. A synced watcher
    /// gets each revision from apply once it reaches this; an unsynced one is caught up from
    /// the history starting here.
    var nextRevision: Int64
    /// False while the watcher is behind (its history is replayed, or its consumer fell
    /// behind): apply then skips it, as etcd's unsynced watcher group is skipped by notify.
    var synced = true
    /// Whether events were queued since the last progress tick (etcd elides that tick's
    /// progress notification then).
    var sawEventsSinceProgress = false

    init(id: Int64, request: WatchCreateRequest, nextRevision: Int64) {
        self.id = id
        self.nextRevision = nextRevision
        key = request.key
        // etcd's watch server reads a range end of "\0" as "every key from `key` on".
        if request.rangeEnd == Data([0]) {
            end = Data()
        } else {
            end = request.rangeEnd.isEmpty ? nil : request.rangeEnd
        }
        prevKV = request.prevKv
        dropsPuts = request.filters.contains(.noput)
        dropsDeletes = request.filters.contains(.nodelete)
        progressNotify = request.progressNotify
    }

    var isRange: Bool { end != nil }

    func matches(_ key: UnsafeRawBufferPointer) -> Bool {
        self.key.withUnsafeBytes { start in
            guard let end else { return compareBytes(start, key) == 0 }
            if compareBytes(key, start) < 0 { return false }
            return end.isEmpty || end.withUnsafeBytes { compareBytes(key, $0) < 0 }
        }
    }

    func keeps(_ event: Event) -> Bool {
        event.type == .put ? !dropsPuts : !dropsDeletes
    }
}
