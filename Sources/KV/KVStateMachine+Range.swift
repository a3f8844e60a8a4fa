import Foundation
import Wire

extension KVStateMachine {
    /// A range read at the current revision, answered locally as etcd does.
    public func range(_ request: RangeRequest) throws(KVError) -> RangeResponse {
        try range(request, current: store.currentRevision)
    }

    /// etcd's applier Range (etcdserver/apply.go) against a view whose revision is `current`:
    /// `count` counts every key in the range; filters, sort and limit apply to the result.
    func range(_ request: RangeRequest, current: Int64) throws(KVError) -> RangeResponse {
        let at = try store.readRevision(request.revision, current: current)
        let end = KVStateMachine.rangeEnd(request.rangeEnd)
        var records = request.key.withUnsafeBytes { key in
            withOptionalBytes(end) { store.liveRecords(key: key, end: $0, at: at) }
        }
        var response = RangeResponse(header: ResponseHeader(revision: current), count: Int64(records.count))
        if request.countOnly || records.isEmpty { return response }

        let filters = request.minModRevision != 0 || request.maxModRevision != 0
            || request.minCreateRevision != 0 || request.maxCreateRevision != 0
        let sorts = request.sortOrder != .none || request.sortTarget != .key
        if request.limit > 0, !filters, request.sortOrder == .none, records.count > Int(request.limit) + 1 {
            // etcd fetches one more than the limit, to know there is more.
            records.removeSubrange(Int(request.limit + 1)...)
        }
        if filters {
            records.removeAll { index in
                let r = store.log[Int(index)]
                return (request.maxModRevision != 0 && r.main > request.maxModRevision)
                    || (request.minModRevision != 0 && r.main < request.minModRevision)
                    || (request.maxCreateRevision != 0 && r.createRevision > request.maxCreateRevision)
                    || (request.minCreateRevision != 0 && r.createRevision < request.minCreateRevision)
            }
        }
        if sorts { records = sorted(records, request) }
        if request.limit > 0, records.count > Int(request.limit) {
            records.removeSubrange(Int(request.limit)...)
            response.more = true
        }
        response.kvs = records.map { store.keyValue($0, withValue: !request.keysOnly) }
        return response
    }

    /// Sorts by the request's target; ties keep key order, as etcd's sort does on the small
    /// results where it is observable.
    private func sorted(_ records: [Int32], _ request: RangeRequest) -> [Int32] {
        let descending = request.sortOrder == .descend
        if request.sortTarget == .key { return descending ? records.reversed() : records }
        let log = store.log
        func order(_ a: Int32, _ b: Int32) -> Int {
            let x = log[Int(a)], y = log[Int(b)]
            switch request.sortTarget {
            case .version: return x.version == y.version ? 0 : (x.version < y.version ? -1 : 1)
            case .create: return x.createRevision == y.createRevision ? 0 : (x.createRevision < y.createRevision ? -1 : 1)
            case .mod: return x.main == y.main ? 0 : (x.main < y.main ? -1 : 1)
            case .value: return compareBytes(store.values.bytes(x.value), store.values.bytes(y.value))
            default: return 0
            }
        }
        let positioned = records.enumerated().map { ($0.offset, $0.element) }
        return positioned.sorted { a, b in
            let c = order(a.1, b.1)
            if c != 0 { return descending ? c > 0 : c < 0 }
            return a.0 < b.0
        }.map(\.1)
    }

    /// etcd's mkGteRange: no end is one key, "\0" is every key from the start on.
    static func rangeEnd(_ end: Data) -> Data? {
        if end.isEmpty { return nil }
        if end.count == 1, end.first == 0 { return Data() }
        return end
    }
}

/// Calls `body` with the bytes of `data`, or nil.
func withOptionalBytes<R>(_ data: Data?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let data else { return body(nil) }
    return data.withUnsafeBytes { body($0) }
}
