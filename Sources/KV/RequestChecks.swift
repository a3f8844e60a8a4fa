import Foundation
import Wire

/// The checks etcd's gRPC layer (etcdserver/api/v3rpc/key.go) makes before proposing a
/// request; a request that fails one is answered with its error and never reaches raft.
public struct RequestChecks: Sendable {
    /// etcd's --max-txn-ops.
    public var maxTxnOps: Int
    /// etcd's --max-request-bytes, checked on the encoded InternalRaftRequest.
    public var maxRequestBytes: Int

    public init(maxTxnOps: Int = 128, maxRequestBytes: Int = 1_572_864) {
        self.maxTxnOps = maxTxnOps
        self.maxRequestBytes = maxRequestBytes
    }

    public func check(_ request: RangeRequest) throws(KVError) {
        if request.key.isEmpty { throw .emptyKey }
    }

    public func check(_ request: PutRequest) throws(KVError) {
        if request.key.isEmpty { throw .emptyKey }
        if request.ignoreValue, !request.value.isEmpty { throw .valueProvided }
        if request.ignoreLease, request.lease != 0 { throw .leaseProvided }
    }

    public func check(_ request: DeleteRangeRequest) throws(KVError) {
        if request.key.isEmpty { throw .emptyKey }
    }

    /// The size check etcd makes on a proposal's encoded bytes.
    public func checkSize(ofEntry byteCount: Int) throws(KVError) {
        if byteCount > maxRequestBytes { throw .requestTooLarge }
    }

    /// etcd's checkTxnRequest, then its overlap check of each branch's writes.
    public func check(_ request: TxnRequest) throws(KVError) {
        try checkOperations(request, limit: maxTxnOps)
        _ = try WriteOverlap.check(request.success)
        _ = try WriteOverlap.check(request.failure)
    }

    private func checkOperations(_ request: TxnRequest, limit: Int) throws(KVError) {
        let operations = max(request.compare.count, request.success.count, request.failure.count)
        if operations > limit { throw .tooManyOperations }
        for compare in request.compare where compare.key.isEmpty { throw .emptyKey }
        // etcd hands nested transactions what is left of the limit.
        for op in request.success + request.failure { try check(op, limit: limit - operations) }
    }

    private func check(_ op: RequestOp, limit: Int) throws(KVError) {
        switch op.request {
        case .requestRange(let r): try check(r)
        case .requestPut(let r): try check(r)
        case .requestDeleteRange(let r): try check(r)
        case .requestTxn(let r): try checkOperations(r, limit: limit)
        case nil: throw .keyNotFound  // an empty operation, as etcd answers it
        }
    }
}

/// etcd's checkIntervals: one branch of a txn (with the branches nested in it) may not put a
/// key twice or put a key it also deletes.
enum WriteOverlap {
    /// A deleted key ([key] when `end` is nil) or range [key, end), compared bytewise as etcd's
    /// interval tree does (a range end of "\0" is taken literally there).
    struct Deletion {
        let key: Data
        let end: Data?

        func contains(_ point: Data) -> Bool {
            guard let end else { return point == key }
            return !point.lexicographicallyPrecedes(key) && point.lexicographicallyPrecedes(end)
        }
    }

    static func check(_ ops: [RequestOp]) throws(KVError) -> (puts: Set<Data>, deletions: [Deletion]) {
        var deletions: [Deletion] = []
        for op in ops {
            if case .requestDeleteRange(let d) = op.request {
                deletions.append(Deletion(key: d.key, end: d.rangeEnd.isEmpty ? nil : d.rangeEnd))
            }
        }
        var puts = Set<Data>()
        for op in ops {
            guard case .requestTxn(let nested) = op.request else { continue }
            let then = try check(nested.success)
            let otherwise = try check(nested.failure)
            for key in then.puts {
                if puts.contains(key) || deletions.contains(where: { $0.contains(key) }) { throw .duplicateKey }
                puts.insert(key)
            }
            for key in otherwise.puts {
                // The same key in both branches is fine: only one of them runs.
                if puts.contains(key), !then.puts.contains(key) { throw .duplicateKey }
                if deletions.contains(where: { $0.contains(key) }) { throw .duplicateKey }
                puts.insert(key)
            }
            deletions += then.deletions + otherwise.deletions
        }
        for op in ops {
            guard case .requestPut(let p) = op.request else { continue }
            if puts.contains(p.key) || deletions.contains(where: { $0.contains(p.key) }) { throw .duplicateKey }
            puts.insert(p.key)
        }
        return (puts, deletions)
    }
}
