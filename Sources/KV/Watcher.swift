import Foundation
import Wire

/// What one watcher asked for: a key or a range, filters, and whether events carry the
/// previous value.
struct Watcher {
    let id: Int64
    let key: Data
    /// nil for one key; empty for every key from `key` on.
    let end: Data?
    let prevKV: Bool
    let dropsPuts: Bool
    let dropsDeletes: Bool
    let progressNotify: Bool
    /// The first revision whose events are due (a start in the future waits for it).
    let startRevision: Int64

    init(id: Int64, request: WatchCreateRequest, startRevision: Int64) {
        self.id = id
        self.startRevision = startRevision
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
