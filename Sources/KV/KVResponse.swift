import Wire

/// What applying one committed entry answers, as etcd's applier returns it.
public enum KVResponse: Hashable, Sendable {
    case range(RangeResponse)
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
    case compaction(CompactionResponse)
    case leaseGrant(LeaseGrantResponse)
    case leaseRevoke(LeaseRevokeResponse)
    case leaseCheckpoint(LeaseCheckpointResponse)
    case alarm(AlarmResponse)
    case auth(AuthResponse)
}

/// The outcome of one committed entry: the ID the proposer waits on, and the response or
/// etcd's error for it.
public struct AppliedEntry: Hashable, Sendable {
    public var requestID: UInt64
    public var result: Result<KVResponse, KVError>
}
