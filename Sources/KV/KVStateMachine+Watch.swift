import Foundation
import Wire

extension KVStateMachine {
    /// Creates a watcher and returns its ID. Its `created` response is queued first; history
    /// from `start_revision` (0: the next revision) is replayed at once, or, when that start is
    /// compacted, the watcher is cancelled with the compaction revision, as etcd does.
    public func watch(_ request: WatchCreateRequest) -> Int64 {
        let id = watches.newID()
        let current = store.currentRevision
        let start = request.startRevision == 0 ? current + 1 : request.startRevision
        let watcher = Watcher(id: id, request: request, startRevision: start)
        watches.send(WatchResponse(header: header, watchID: id, created: true))
        if start <= current {
            if start < store.compactRevision {
                watches.register(watcher)
                watches.cancel(id, revision: current, compactRevision: store.compactRevision)
                return id
            }
            replay(watcher, from: start, through: current)
        }
        watches.register(watcher)
        return id
    }

    /// Cancels watcher `id` at the client's request; false when it is not active.
    @discardableResult
    public func cancelWatch(_ id: Int64) -> Bool {
        watches.cancel(id, revision: store.currentRevision)
    }

    /// Takes the responses waiting for watcher `id`, oldest first.
    public func takeWatchResponses(_ id: Int64) -> [WatchResponse] { watches.take(id) }

    /// IDs of watchers with responses waiting, ascending.
    public var watchersWithResponses: [Int64] { watches.waiting }

    /// Queues a progress notification for idle watchers: all of them when a client asked
    /// (WatchProgressRequest), else those created with progress_notify.
    public func notifyWatchProgress(requestedByClient: Bool) {
        watches.notifyProgress(revision: store.currentRevision, requestedOnly: !requestedByClient)
    }

    private func replay(_ watcher: Watcher, from start: Int64, through current: Int64) {
        var events: [Event] = []
        for index in store.firstRecord(atOrAfter: start)..<store.log.count {
            let record = store.log[index]
            if record.main > current { break }
            guard watcher.matches(store.keys.bytes(record.key)) else { continue }
            if let event = event(Int32(index), for: watcher) { events.append(event) }
        }
        watches.deliver(events, to: watcher.id, revision: current)
    }

    /// Queues the changes of one committed write transaction for the watchers they concern.
    func publish(_ changes: [Int32], revision: Int64) {
        var batches: [Int64: [Event]] = [:]
        for index in changes {
            let key = store.keyData(index)
            for id in watches.candidates(for: key) {
                guard let watcher = watches.watchers[id], revision >= watcher.startRevision else { continue }
                let matches = key.withUnsafeBytes { watcher.matches($0) }
                if matches, let event = event(index, for: watcher) { batches[id, default: []].append(event) }
            }
        }
        for id in batches.keys.sorted() { watches.deliver(batches[id]!, to: id, revision: revision) }
    }

    /// The event of a change as `watcher` receives it, nil when its filters drop it. The
    /// previous value is the key's at the revision before, when that is not compacted and
    /// the change did not create the key (etcd's watch server looks it up the same way).
    private func event(_ index: Int32, for watcher: Watcher) -> Event? {
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
