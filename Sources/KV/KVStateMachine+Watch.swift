import Foundation
import Wire

extension KVStateMachine {
    /// Creates a watcher and returns its ID. Its `created` response is queued first. A start
    /// at or before the store's revision makes it unsynced (etcd's unsynced group): its
    /// history is replayed at once up to the watch buffer, the rest by `catchUpWatch`; a
    /// compacted start cancels it with the compaction revision, as etcd does.
    public func watch(_ request: WatchCreateRequest) -> Int64 {
        let id = watches.newID()
        let current = store.currentRevision
        let start = request.startRevision == 0 ? current + 1 : request.startRevision
        watches.send(WatchResponse(header: header, watchID: id, created: true))
        var watcher = Watcher(id: id, request: request, nextRevision: max(start, current + 1))
        if start <= current {
            watcher.nextRevision = start
            watcher.synced = false
        }
        watches.register(watcher)
        if !watcher.synced { catchUpWatch(id, maxBytes: watches.bufferBytes) }
        return id
    }

    /// Cancels watcher `id` at the client's request; false when it is not active.
    @discardableResult
    public func cancelWatch(_ id: Int64) -> Bool {
        watches.cancel(id, revision: store.currentRevision)
    }

    /// Takes the responses waiting for watcher `id`, oldest first.
    public func takeWatchResponses(_ id: Int64) -> [WatchResponse] { watches.take(id) }

    /// Whether responses are waiting for watcher `id`.
    public func hasWatchResponses(_ id: Int64) -> Bool { watches.isWaiting(id) }

    /// IDs of watchers with responses waiting, ascending.
    public var watchersWithResponses: [Int64] { watches.waiting }

    /// IDs of unsynced watchers (behind the store, due a `catchUpWatch`), ascending.
    public var watchersBehind: [Int64] { watches.behind.sorted() }

    /// Whether watcher `id` is active and unsynced.
    public func isWatchBehind(_ id: Int64) -> Bool { watches.behind.contains(id) }

    /// Bytes of the events queued for all watchers and not yet taken.
    public var watchQueuedBytes: Int { watches.waitingBytes }

    /// etcd's progress tick for watchers created with progress_notify: each synced one that
    /// got no events since the last tick is sent the store's revision.
    public func notifyWatchProgress() {
        watches.notifyProgress(revision: store.currentRevision)
    }

    /// Queues the changes of one committed write transaction for the synced watchers they
    /// concern.
    func publish(_ changes: [Int32], revision: Int64) {
        var batches: [Int64: [Event]] = [:]
        for index in changes {
            let key = store.keyData(index)
            for id in watches.candidates(for: key) {
                guard let watcher = watches.watchers[id], watcher.synced, revision >= watcher.nextRevision else { continue }
                let matches = key.withUnsafeBytes { watcher.matches($0) }
                if matches, let event = event(index, for: watcher) { batches[id, default: []].append(event) }
            }
        }
        for id in batches.keys.sorted() { watches.deliver(batches[id]!, to: id, revision: revision) }
    }

    /// The event of a change as `watcher` receives it, nil when its filters drop it. The
    /// previous value is the key's at the revision before, when that is not compacted and
    /// the change did not create the key (etcd's watch server looks it up the same way).
    func event(_ index: Int32, for watcher: Watcher) -> Event? {
        let record = store.log[Int(index)]
        var event = Event(type: record.isTombstone ? .delete : .put, kv: store.keyValue(index))
        guard watcher.keeps(event) else { return nil }
        let creates = !record.isTombstone && record.createRevision == record.main
        if watcher.prevKV, !creates, record.main - 1 >= store.compactRevision,
           let previous = store.visible(record.key, at: record.main - 1) {
            event.prevKv = store.keyValue(previous)
        }
        return event
    }
}
