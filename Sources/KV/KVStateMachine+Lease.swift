import Foundation
import Wire

extension KVStateMachine {
    func grant(_ request: LeaseGrantRequest, now: LeaseTime) throws(KVError) -> LeaseGrantResponse {
        let lease = try lessor.grant(id: request.id, ttl: request.ttl, now: now)
        return LeaseGrantResponse(header: header, id: lease.id, ttl: lease.ttl)
    }

    /// Revokes a lease: its keys are deleted in one write transaction, in key order.
    func revoke(_ request: LeaseRevokeRequest) throws(KVError) -> LeaseRevokeResponse {
        let keys = try lessor.revoke(id: request.id)
        var txn = store.beginWrite()
        for key in keys {
            _ = key.withUnsafeBytes { store.deleteRange(&txn, key: $0, end: nil) { _, _ in } }
        }
        finish(txn)
        return LeaseRevokeResponse(header: header)
    }

    func checkpoint(_ request: LeaseCheckpointRequest) -> LeaseCheckpointResponse {
        for c in request.checkpoints { lessor.checkpoint(id: c.id, remainingTTL: c.remainingTTL) }
        return LeaseCheckpointResponse(header: header)
    }

    /// A keep-alive, answered by the leader without raft. As etcd's lease server does, a lease
    /// that does not exist (or has expired) is answered with TTL 0, not an error.
    public func keepAlive(_ request: LeaseKeepAliveRequest, now: LeaseTime) throws(KVError) -> LeaseKeepAliveResponse {
        do throws(KVError) {
            let ttl = try lessor.renew(id: request.id, now: now)
            return LeaseKeepAliveResponse(header: header, id: request.id, ttl: ttl)
        } catch .leaseNotFound {
            return LeaseKeepAliveResponse(header: header, id: request.id, ttl: 0)
        }
    }

    /// etcd's LeaseTimeToLive: remaining seconds at `now`, the granted TTL and, when asked, the
    /// attached keys (bytewise order). A lease that does not exist is answered with TTL -1.
    public func leaseTimeToLive(_ request: LeaseTimeToLiveRequest, now: LeaseTime) -> LeaseTimeToLiveResponse {
        guard let lease = lessor.lease(request.id) else {
            return LeaseTimeToLiveResponse(header: header, id: request.id, ttl: -1)
        }
        let keys = request.keys ? lease.keys.sorted { $0.lexicographicallyPrecedes($1) } : []
        return LeaseTimeToLiveResponse(header: header, id: lease.id, ttl: lessor.remaining(lease, now: now),
                                       grantedTTL: lease.ttl, keys: keys)
    }

    /// Every lease, by ID.
    public func leaseLeases() -> LeaseLeasesResponse {
        LeaseLeasesResponse(header: header, leases: lessor.leases.keys.sorted().map { LeaseStatus(id: $0) })
    }

    /// Leases the leader finds expired at `now`; it commits a LeaseRevoke for each.
    public func expiredLeases(at now: LeaseTime) -> [Int64] { lessor.expired(at: now) }

    /// This member became leader at `now`: lease clocks restart with their remaining TTL plus
    /// `extend` seconds (etcd's Promote, which extends by an election timeout).
    public func promoteLessor(now: LeaseTime, extend: Int64) { lessor.promote(now: now, extend: extend) }

    /// This member is no longer leader: its lease clocks stop.
    public func demoteLessor() { lessor.demote() }
}
