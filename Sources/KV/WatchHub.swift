import Foundation
import Wire

/// The watchers of a store and the responses waiting for each. Apply queues events for
/// synced watchers and never blocks; a watcher whose waiting events would pass `bufferBytes`
/// stops being fed by apply and becomes unsynced (etcd's slow watcher), to be caught up later
/// from the store's history, so what is kept per watcher stays bounded.
struct WatchHub {
    private(set) var watchers: [Int64: Watcher] = [:]
    /// Single-key watchers by key, and range watchers, each in creation order.
    private var byKey: [Data: [Int64]] = [:]
    private var ranged: [Int64] = []
    /// Responses not yet taken, by watch ID; kept after a cancel until taken.
    private var outbox: [Int64: [WatchResponse]] = [:]
    /// Approximate bytes of the events waiting in `outbox`, by watch ID.
    private var outboxBytes: [Int64: Int] = [:]
    /// Unsynced watchers: those apply skips until they are caught up.
    private(set) var behind: Set<Int64> = []
    private var nextID: Int64 = 0
    let bufferBytes: Int

    init(bufferBytes: Int) {
        self.bufferBytes = bufferBytes
    }

    mutating func newID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    /// Adds `watcher`; one created unsynced is behind from the start.
    mutating func register(_ watcher: Watcher) {
        watchers[watcher.id] = watcher
        if !watcher.synced { behind.insert(watcher.id) }
        if watcher.isRange { ranged.append(watcher.id) } else { byKey[watcher.key, default: []].append(watcher.id) }
    }

    /// Removes watcher `id` and queues etcd's canceled response (with `reason` and
    /// `compactRevision` when given); false when no such watcher is active.
    @discardableResult
    mutating func cancel(_ id: Int64, revision: Int64, reason: String = "", compactRevision: Int64 = 0) -> Bool {
        guard let watcher = watchers.removeValue(forKey: id) else { return false }
        behind.remove(id)
        if watcher.isRange {
            ranged.removeAll { $0 == id }
        } else {
            byKey[watcher.key]?.removeAll { $0 == id }
            if byKey[watcher.key]?.isEmpty == true { byKey[watcher.key] = nil }
        }
        // A compaction cancel carries no revision in its header, as etcd's does.
        let header = compactRevision != 0 ? ResponseHeader() : ResponseHeader(revision: revision)
        send(WatchResponse(header: header, watchID: id, canceled: true, compactRevision: compactRevision, cancelReason: reason))
        return true
    }

    /// Queues a response without events (created, canceled, progress).
    mutating func send(_ response: WatchResponse) {
        outbox[response.watchID, default: []].append(response)
    }

    /// Queues the events of revision `revision` (already filtered for the watcher) that
    /// apply has for synced watcher `id`. When its waiting events would pass the buffer, the
    /// watcher falls behind from this revision instead: nothing is queued.
    mutating func deliver(_ events: [Event], to id: Int64, revision: Int64) {
        guard !events.isEmpty else { return }
        let bytes = Self.size(events)
        let waiting = outboxBytes[id, default: 0]
        if waiting > 0, waiting + bytes > bufferBytes {
            fallBehind(id, from: revision)
            return
        }
        queue(events, to: id, headerRevision: revision, bytes: bytes)
    }

    /// Queues one response of events for watcher `id` (apply's or a catch-up's).
    mutating func queue(_ events: [Event], to id: Int64, headerRevision: Int64, bytes: Int? = nil) {
        outboxBytes[id, default: 0] += bytes ?? Self.size(events)
        watchers[id]?.sawEventsSinceProgress = true
        send(WatchResponse(header: ResponseHeader(revision: headerRevision), watchID: id, events: events))
    }

    /// Watcher `id` stops being fed by apply; its events from `revision` on are due from the
    /// history. A watcher already behind keeps its own (earlier) revision.
    mutating func fallBehind(_ id: Int64, from revision: Int64) {
        guard var watcher = watchers[id], watcher.synced else { return }
        watcher.synced = false
        watcher.nextRevision = max(watcher.nextRevision, revision)
        watchers[id] = watcher
        behind.insert(id)
    }

    /// Every synced watcher falls behind from `revision` (the store was replaced under them).
    mutating func allFallBehind(from revision: Int64) {
        for id in watchers.keys { fallBehind(id, from: revision) }
    }

    /// Watcher `id` was caught up through the history up to `nextRevision` (exclusive); it
    /// is synced again when that is past the store's revision `current`.
    mutating func caughtUp(_ id: Int64, through nextRevision: Int64, current: Int64) {
        guard var watcher = watchers[id] else { return }
        watcher.nextRevision = nextRevision
        if nextRevision > current {
            watcher.synced = true
            behind.remove(id)
        }
        watchers[id] = watcher
    }

    /// IDs of the watchers that may care about `key`, unordered.
    func candidates(for key: Data) -> [Int64] {
        (byKey[key] ?? []) + ranged
    }

    var hasWatchers: Bool { !watchers.isEmpty }

    /// Takes the responses waiting for watcher `id`.
    mutating func take(_ id: Int64) -> [WatchResponse] {
        outboxBytes[id] = nil
        return outbox.removeValue(forKey: id) ?? []
    }

    func isWaiting(_ id: Int64) -> Bool { outbox[id] != nil }

    /// Watch IDs with responses waiting, ascending.
    var waiting: [Int64] { outbox.keys.sorted() }

    /// Bytes of the events waiting for all watchers.
    var waitingBytes: Int { outboxBytes.values.reduce(0, +) }

    /// etcd's progress tick: a notification (the revision, no events) for each synced watcher
    /// created with progress_notify that was sent no events since the last tick.
    mutating func notifyProgress(revision: Int64) {
        for id in watchers.keys.sorted() {
            guard var watcher = watchers[id], watcher.progressNotify else { continue }
            if watcher.synced, !watcher.sawEventsSinceProgress {
                send(WatchResponse(header: ResponseHeader(revision: revision), watchID: id))
            }
            watcher.sawEventsSinceProgress = false
            watchers[id] = watcher
        }
    }

    /// What events weigh in a watcher's buffer: their keys and values plus a little framing.
    static func size(_ events: [Event]) -> Int {
        events.reduce(0) { total, event in
            total + 32 + (event.kv.map { $0.key.count + $0.value.count } ?? 0)
                + (event.prevKv.map { $0.key.count + $0.value.count } ?? 0)
        }
    }
}
