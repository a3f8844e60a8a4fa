import Foundation
import Wire

/// Which branch each transaction took: its own, then that of each nested txn in the chosen
/// branch, in order. Decided on the view before any of the txn's writes, as etcd does.
struct TxnPath {
    var succeeded: Bool
    var nested: [TxnPath]
}

extension KVStateMachine {
    /// etcd's applier Txn: compares decide the branches, the chosen operations are checked
    /// (leases, ignored values, revisions) before any is applied, then all run in one write
    /// transaction with one revision. A txn of reads only is answered locally the same way.
    public func txn(_ request: TxnRequest) throws(KVError) -> TxnResponse {
        let current = store.currentRevision
        let path = choosePath(request, at: current)
        if !KVStateMachine.isReadOnly(request) { try checkWrites(request, path, at: current) }
        try checkReads(request, path, at: current)
        var txn = store.beginWrite()
        var response: TxnResponse
        do {
            response = try applyTxn(request, path, in: &txn)
        } catch {
            // Unreachable after the checks above; the log must still stay whole.
            finish(txn)
            throw error
        }
        finish(txn)
        response.header = ResponseHeader(revision: txn.readRevision)
        return response
    }

    /// Whether every operation, nested ones included, is a range.
    public static func isReadOnly(_ request: TxnRequest) -> Bool {
        (request.success + request.failure).allSatisfy { op in
            switch op.request {
            case .requestRange: true
            case .requestTxn(let nested): isReadOnly(nested)
            default: false
            }
        }
    }

    private func choosePath(_ request: TxnRequest, at revision: Int64) -> TxnPath {
        let succeeded = request.compare.allSatisfy { holds($0, at: revision) }
        var nested: [TxnPath] = []
        for op in succeeded ? request.success : request.failure {
            if case .requestTxn(let inner) = op.request { nested.append(choosePath(inner, at: revision)) }
        }
        return TxnPath(succeeded: succeeded, nested: nested)
    }

    /// etcd's applyCompare: every key in the compare's range must satisfy it; a missing key
    /// compares as an empty KeyValue, except that a value compare on it fails.
    private func holds(_ compare: Compare, at revision: Int64) -> Bool {
        let end = KVStateMachine.rangeEnd(compare.rangeEnd)
        let records = compare.key.withUnsafeBytes { key in
            withOptionalBytes(end) { store.liveRecords(key: key, end: $0, at: revision) }
        }
        if records.isEmpty {
            if compare.target == .value { return false }
            return satisfies(compare, order: order(compare, nil))
        }
        return records.allSatisfy { satisfies(compare, order: order(compare, $0)) }
    }

    /// How the record (nil: an empty KeyValue) orders against the compare's operand.
    private func order(_ compare: Compare, _ record: Int32?) -> Int {
        let r = record.map { store.log[Int($0)] }
        func three(_ a: Int64, _ b: Int64) -> Int { a == b ? 0 : (a < b ? -1 : 1) }
        switch compare.target {
        case .value:
            var operand = Data()
            if case .value(let v) = compare.targetUnion { operand = v }
            let stored = record.map { store.valueBytes($0) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
            return operand.withUnsafeBytes { compareBytes(stored, $0) }
        case .create:
            var operand: Int64 = 0
            if case .createRevision(let v) = compare.targetUnion { operand = v }
            return three(r?.createRevision ?? 0, operand)
        case .mod:
            var operand: Int64 = 0
            if case .modRevision(let v) = compare.targetUnion { operand = v }
            return three(r?.main ?? 0, operand)
        case .version:
            var operand: Int64 = 0
            if case .version(let v) = compare.targetUnion { operand = v }
            return three(r?.version ?? 0, operand)
        case .lease:
            var operand: Int64 = 0
            if case .lease(let v) = compare.targetUnion { operand = v }
            return three(r?.lease ?? 0, operand)
        default:
            return 0
        }
    }

    private func satisfies(_ compare: Compare, order: Int) -> Bool {
        switch compare.result {
        case .equal: order == 0
        case .notEqual: order != 0
        case .greater: order > 0
        case .less: order < 0
        default: true
        }
    }

    /// etcd's checkRequestPut over the chosen operations.
    private func checkWrites(_ request: TxnRequest, _ path: TxnPath, at revision: Int64) throws(KVError) {
        var nested = path.nested.makeIterator()
        for op in path.succeeded ? request.success : request.failure {
            switch op.request {
            case .requestTxn(let inner):
                if let innerPath = nested.next() { try checkWrites(inner, innerPath, at: revision) }
            case .requestPut(let put):
                if put.ignoreValue || put.ignoreLease {
                    let exists = put.key.withUnsafeBytes { !store.liveRecords(key: $0, end: nil, at: revision).isEmpty }
                    if !exists { throw .keyNotFound }
                }
                if put.lease != 0, lessor.lease(put.lease) == nil { throw .leaseNotFound }
            default:
                break
            }
        }
    }

    /// etcd's checkRequestRange over the chosen operations.
    private func checkReads(_ request: TxnRequest, _ path: TxnPath, at revision: Int64) throws(KVError) {
        var nested = path.nested.makeIterator()
        for op in path.succeeded ? request.success : request.failure {
            switch op.request {
            case .requestTxn(let inner):
                if let innerPath = nested.next() { try checkReads(inner, innerPath, at: revision) }
            case .requestRange(let range):
                if range.revision > revision { throw .futureRevision }
                if range.revision != 0, range.revision < store.compactRevision { throw .compacted }
            default:
                break
            }
        }
    }

    private func applyTxn(_ request: TxnRequest, _ path: TxnPath, in txn: inout WriteTxn) throws(KVError) -> TxnResponse {
        var response = TxnResponse(header: ResponseHeader(), succeeded: path.succeeded)
        var nested = path.nested.makeIterator()
        for op in path.succeeded ? request.success : request.failure {
            switch op.request {
            case .requestRange(let r):
                response.responses.append(ResponseOp(response: .responseRange(try range(r, current: txn.readRevision))))
            case .requestPut(let r):
                response.responses.append(ResponseOp(response: .responsePut(try put(r, in: &txn))))
            case .requestDeleteRange(let r):
                response.responses.append(ResponseOp(response: .responseDeleteRange(deleteRange(r, in: &txn))))
            case .requestTxn(let inner):
                let innerPath = nested.next() ?? TxnPath(succeeded: false, nested: [])
                response.responses.append(ResponseOp(response: .responseTxn(try applyTxn(inner, innerPath, in: &txn))))
            case nil:
                response.responses.append(ResponseOp())
            }
        }
        return response
    }
}
