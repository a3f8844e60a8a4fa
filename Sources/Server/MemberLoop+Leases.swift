import KV
import Wire

/// What the lease services ask of the member: its lessor, on the member's own lease clock.
/// On the loop.
extension MemberLoop {
    /// Renews a lease (a keep-alive) and gives its new TTL; `notPrimary` when this member's
    /// lessor is not the primary one.
    func keepAlive(_ request: LeaseKeepAliveRequest) throws(KVError) -> Int64 { try kv.keepAlive(request, now: now).ttl }

    /// A lease's remaining TTL; only the primary lessor runs the clocks that say what remains.
    func timeToLive(_ request: LeaseTimeToLiveRequest) -> LeaseTimeToLiveResponse { kv.leaseTimeToLive(request, now: now) }

    /// Every lease this member knows, under its header.
    func leases() -> LeaseLeasesResponse {
        var response = kv.leaseLeases()
        response.header = header()
        return response
    }

    /// The leases whose time is up now.
    func expiredLeases() -> [Int64] { kv.expiredLeases(at: now) }
}
