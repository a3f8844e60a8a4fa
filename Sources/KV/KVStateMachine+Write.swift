import Foundation
import Wire

extension KVStateMachine {
    /// etcd's applier Put outside a txn: the lease must exist, then one write transaction.
    func put(_ request: PutRequest) throws(KVError) -> PutResponse {
        if request.lease != 0, lessor.lease(request.lease) == nil { throw .leaseNotFound }
        var txn = store.beginWrite()
        let response = try put(request, in: &txn)
        finish(txn)
        return response
    }

    /// etcd's applier DeleteRange outside a txn.
    func deleteRange(_ request: DeleteRangeRequest) -> DeleteRangeResponse {
        var txn = store.beginWrite()
        let response = deleteRange(request, in: &txn)
        finish(txn)
        return response
    }

    func put(_ request: PutRequest, in txn: inout WriteTxn) throws(KVError) -> PutResponse {
        var response = PutResponse(header: ResponseHeader())
        var existing: Int32?
        if request.ignoreValue || request.ignoreLease || request.prevKv {
            existing = request.key.withUnsafeBytes { store.liveRecords(key: $0, end: nil, at: txn.readRevision).first }
        }
        if request.ignoreValue || request.ignoreLease, existing == nil { throw .keyNotFound }
        if request.prevKv, let existing { response.prevKv = store.keyValue(existing) }
        let lease = request.ignoreLease ? store.log[Int(existing!)].lease : request.lease
        let oldLease = request.key.withUnsafeBytes { key in
            if request.ignoreValue {
                return store.put(&txn, key: key, value: store.valueBytes(existing!), lease: lease)
            }
            return request.value.withUnsafeBytes { store.put(&txn, key: key, value: $0, lease: lease) }
        }
        if oldLease != 0 { lessor.detach(request.key, from: oldLease) }
        if lease != 0 { lessor.attach(request.key, to: lease) }
        response.header?.revision = txn.revision
        return response
    }

    func deleteRange(_ request: DeleteRangeRequest, in txn: inout WriteTxn) -> DeleteRangeResponse {
        var response = DeleteRangeResponse(header: ResponseHeader())
        let end = KVStateMachine.rangeEnd(request.rangeEnd)
        let deleted = request.key.withUnsafeBytes { key in
            withOptionalBytes(end) { end in
                if request.prevKv {
                    response.prevKvs = store.liveRecords(key: key, end: end, at: txn.readRevision).map { store.keyValue($0) }
                }
                return store.deleteRange(&txn, key: key, end: end) { id, lease in
                    if lease != 0 { lessor.detach(store.keys.data(id), from: lease) }
                }
            }
        }
        response.deleted = deleted
        response.header?.revision = deleted != 0 || !txn.changes.isEmpty ? txn.revision : txn.beginRevision
        return response
    }

    /// Ends a write transaction and hands its changes to the watchers.
    func finish(_ txn: WriteTxn) {
        store.commit(txn)
        if !txn.changes.isEmpty, watches.hasWatchers { publish(txn.changes, revision: txn.revision) }
    }
}
