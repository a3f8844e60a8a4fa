import Foundation

/// A point on the leader's monotonic clock, injected so lease expiry is deterministic.
public struct LeaseTime: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func seconds(_ s: Int64) -> LeaseTime { LeaseTime(nanoseconds: s * 1_000_000_000) }

    public static func < (a: LeaseTime, b: LeaseTime) -> Bool { a.nanoseconds < b.nanoseconds }

    /// This time moved on by `seconds`, saturating instead of overflowing.
    func adding(seconds: Int64) -> LeaseTime {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, overflow2) = nanoseconds.addingReportingOverflow(product)
        return overflow || overflow2 ? LeaseTime(nanoseconds: .max) : LeaseTime(nanoseconds: sum)
    }

    static let never = LeaseTime(nanoseconds: .max)
}

/// One lease: its granted TTL, the keys attached to it and, on the leader, when it expires.
public struct Lease: Hashable, Sendable {
    public var id: Int64
    /// The TTL granted, in seconds (raised to the lessor's minimum).
    public var ttl: Int64
    /// The remaining TTL last checkpointed, 0 when never checkpointed.
    public var remainingTTL: Int64
    /// When the lease expires; `never` on a member whose lessor is not primary.
    public var expiry: LeaseTime
    public var keys: Set<Data>
}

/// etcd's lessor (lease/lessor.go): leases granted and revoked by committed entries on every
/// member; only the primary (the leader) runs their clocks, renews them and decides expiry,
/// which it commits as a revoke.
struct Lessor {
    /// etcd's MaxLeaseTTL, in seconds.
    static let maximumTTL: Int64 = 9_000_000_000

    private(set) var leases: [Int64: Lease] = [:]
    private(set) var isPrimary = false
    /// The smallest TTL granted (etcd: 3/2 election timeouts, rounded up; 2 s by default).
    let minimumTTL: Int64

    init(minimumTTL: Int64) {
        self.minimumTTL = minimumTTL
    }

    func lease(_ id: Int64) -> Lease? { leases[id] }

    /// Grants lease `id`; `now` starts its clock on the primary.
    mutating func grant(id: Int64, ttl: Int64, now: LeaseTime) throws(KVError) -> Lease {
        if id == 0 { throw .leaseNotFound }
        if ttl > Lessor.maximumTTL { throw .leaseTTLTooLarge }
        if leases[id] != nil { throw .leaseExists }
        let granted = max(ttl, minimumTTL)
        let lease = Lease(id: id, ttl: granted, remainingTTL: 0,
                          expiry: isPrimary ? now.adding(seconds: granted) : .never, keys: [])
        leases[id] = lease
        return lease
    }

    /// Removes lease `id` and returns the keys attached to it, in bytewise order.
    mutating func revoke(id: Int64) throws(KVError) -> [Data] {
        guard let lease = leases.removeValue(forKey: id) else { throw .leaseNotFound }
        return lease.keys.sorted { $0.lexicographicallyPrecedes($1) }
    }

    mutating func attach(_ key: Data, to id: Int64) {
        leases[id]?.keys.insert(key)
    }

    mutating func detach(_ key: Data, from id: Int64) {
        leases[id]?.keys.remove(key)
    }

    /// Restarts the clock of lease `id` with its full TTL (a keep-alive); only the primary renews.
    mutating func renew(id: Int64, now: LeaseTime) throws(KVError) -> Int64 {
        guard isPrimary else { throw .notPrimary }
        guard var lease = leases[id], lease.expiry > now else { throw .leaseNotFound }
        lease.expiry = now.adding(seconds: lease.ttl)
        lease.remainingTTL = 0
        leases[id] = lease
        return lease.ttl
    }

    /// Records a checkpointed remaining TTL (etcd's LeaseCheckpoint), so a new leader resumes it.
    mutating func checkpoint(id: Int64, remainingTTL: Int64) {
        leases[id]?.remainingTTL = remainingTTL
    }

    /// Becomes primary at `now`: every lease's clock restarts with its remaining TTL, extended
    /// by `extend` seconds (etcd's Promote gives clients an election timeout to reach the new
    /// leader).
    mutating func promote(now: LeaseTime, extend: Int64) {
        isPrimary = true
        for id in leases.keys {
            let remaining = leases[id]!.remainingTTL > 0 ? leases[id]!.remainingTTL : leases[id]!.ttl
            leases[id]!.expiry = now.adding(seconds: remaining + extend)
        }
    }

    /// Stops running the clocks (a follower's lessor).
    mutating func demote() {
        isPrimary = false
        for id in leases.keys { leases[id]!.expiry = .never }
    }

    /// Leases the primary finds expired at `now`, by ID; the leader commits a revoke for each.
    func expired(at now: LeaseTime) -> [Int64] {
        guard isPrimary else { return [] }
        return leases.values.filter { $0.expiry <= now }.map(\.id).sorted()
    }

    /// Seconds left of lease `id` at `now`, rounded down; the granted TTL where no clock runs.
    func remaining(_ lease: Lease, now: LeaseTime) -> Int64 {
        if lease.expiry == .never { return lease.ttl }
        return max(0, (lease.expiry.nanoseconds - now.nanoseconds) / 1_000_000_000)
    }

    /// Rebuilds the lessor from a snapshot's leases; keys are attached by the caller.
    mutating func restore(_ restored: [Lease]) {
        leases = [:]
        for var lease in restored {
            lease.expiry = .never
            lease.keys = []
            leases[lease.id] = lease
        }
        isPrimary = false
    }
}
