import Foundation
import Wire

/// The watchers of a store and the responses waiting for each. Apply appends events to the
/// waiting responses and never blocks; a watcher whose consumer falls behind by more than
/// `bufferLimit` events is cancelled with a reason instead of holding memory without bound.
struct WatchHub {
    private(set) var watchers: [Int64: Watcher] = [:]
    /// Single-key watchers by key, and range watchers, each in creation order.
    private var byKey: [Data: [Int64]] = [:]
    private var ranged: [Int64] = []
    /// Responses not yet taken, by watch ID; kept after a cancel until taken.
    private var outbox: [Int64: [WatchResponse]] = [:]
    private var bufferedEvents: [Int64: Int] = [:]
    private var nextID: Int64 = 0
    let bufferLimit: Int

    static let slowReason = "etcdserver: watcher fell behind its event buffer; recreate it from the last revision received"

    init(bufferLimit: Int) {
        self.bufferLimit = bufferLimit
    }

    mutating func newID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    mutating func register(_ watcher: Watcher) {
        watchers[watcher.id] = watcher
        if watcher.isRange { ranged.append(watcher.id) } else { byKey[watcher.key, default: []].append(watcher.id) }
    }

    /// Removes watcher `id` and queues etcd's canceled response (with `reason` and
    /// `compactRevision` when given); false when no such watcher is active.
    @discardableResult
    mutating func cancel(_ id: Int64, revision: Int64, reason: String = "", compactRevision: Int64 = 0) -> Bool {
        guard let watcher = watchers.removeValue(forKey: id) else { return false }
        if watcher.isRange {
            ranged.removeAll { $0 == id }
        } else {
            byKey[watcher.key]?.removeAll { $0 == id }
            if byKey[watcher.key]?.isEmpty == true { byKey[watcher.key] = nil }
        }
        // A compaction cancel carries no revision in its header, as etcd's does.
        let header = compactRevision != 0 ? ResponseHeader() : ResponseHeader(revision: revision)
        outbox[id, default: []].append(WatchResponse(
            header: header, watchID: id, canceled: true, compactRevision: compactRevision, cancelReason: reason))
        return true
    }

    mutating func send(_ response: WatchResponse) {
        outbox[response.watchID, default: []].append(response)
    }

    /// Queues `events` (one revision's, already filtered for the watcher) for watcher `id`,
    /// cancelling it when its buffer would pass the limit.
    mutating func deliver(_ events: [Event], to id: Int64, revision: Int64) {
        guard !events.isEmpty else { return }
        let buffered = bufferedEvents[id, default: 0] + events.count
        if buffered > bufferLimit {
            cancel(id, revision: revision, reason: WatchHub.slowReason)
            return
        }
        bufferedEvents[id] = buffered
        send(WatchResponse(header: ResponseHeader(revision: revision), watchID: id, events: events))
    }

    /// IDs of the watchers that may care about `key`, unordered.
    func candidates(for key: Data) -> [Int64] {
        (byKey[key] ?? []) + ranged
    }

    var hasWatchers: Bool { !watchers.isEmpty }

    /// Takes the responses waiting for watcher `id`.
    mutating func take(_ id: Int64) -> [WatchResponse] {
        bufferedEvents[id] = nil
        return outbox.removeValue(forKey: id) ?? []
    }

    /// Watch IDs with responses waiting, ascending.
    var waiting: [Int64] { outbox.keys.sorted() }

    /// Queues a progress notification (a header, no events) for each active watcher with
    /// nothing waiting, or only those created with progress_notify when `requestedOnly`.
    mutating func notifyProgress(revision: Int64, requestedOnly: Bool) {
        for id in watchers.keys.sorted() where outbox[id]?.isEmpty ?? true {
            if requestedOnly, watchers[id]?.progressNotify != true { continue }
            send(WatchResponse(header: ResponseHeader(revision: revision), watchID: id))
        }
    }
}
