import Wire

/// etcd's backend quota (etcdserver/quota.go): how many bytes the database may reach, and what
/// a request costs against it. Ferry's database size is the size of its KV snapshot.
public struct BackendQuota: Hashable, Sendable {
    /// etcd's DefaultQuotaBytes, used when --quota-backend-bytes is 0.
    public static let defaultBytes: Int64 = 2 * 1024 * 1024 * 1024

    /// The limit; nil when the quota is off (a negative --quota-backend-bytes).
    public let limit: Int64?

    /// From --quota-backend-bytes: 0 means etcd's default, negative means no quota.
    public init(quotaBackendBytes: Int64) {
        limit = quotaBackendBytes < 0 ? nil : quotaBackendBytes == 0 ? Self.defaultBytes : quotaBackendBytes
    }

    /// etcd's Available: a request that costs nothing always fits; one that costs something
    /// fits while the size after it stays below the limit.
    public func fits(_ cost: Int, size: Int) -> Bool {
        guard let limit, cost > 0 else { return true }
        return Int64(size) + Int64(cost) < limit
    }

    /// etcd's estimate of a stored key's metadata and of a lease.
    static let keyOverhead = 256
    static let leaseOverhead = 64

    /// etcd's Cost of an entry's request: puts and txns by their puts, lease grants by a
    /// lease; anything else costs nothing.
    public static func cost(of request: InternalRaftRequest) -> Int {
        if let put = request.put { return cost(put) }
        if let txn = request.txn { return cost(txn) }
        if request.leaseGrant != nil { return leaseOverhead }
        return 0
    }

    static func cost(_ put: PutRequest) -> Int { keyOverhead + put.key.count + put.value.count }

    /// The dearer branch, counting only its own puts (not those of nested txns), as etcd's costTxn.
    static func cost(_ txn: TxnRequest) -> Int {
        func branch(_ ops: [RequestOp]) -> Int {
            ops.reduce(0) { sum, op in
                if case .requestPut(let put)? = op.request { sum + cost(put) } else { sum }
            }
        }
        return max(branch(txn.success), branch(txn.failure))
    }
}
