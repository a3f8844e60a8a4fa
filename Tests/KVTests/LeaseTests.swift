import Foundation
import KV
import Testing
import Wire

@Suite struct LeaseTests {
    private func grant(_ driver: inout EntryDriver, id: Int64, ttl: Int64, now: LeaseTime) throws -> LeaseGrantResponse {
        guard case .leaseGrant(let r) = try driver.apply(InternalRaftRequest(leaseGrant: LeaseGrantRequest(ttl: ttl, id: id)), now: now).get()
        else { throw KVError.leaseNotFound }
        return r
    }

    /// etcd's lessor raises a TTL below the minimum (3/2 election timeouts) to it.
    @Test func grantRaisesTTLToTheMinimum() throws {
        var driver = EntryDriver()
        #expect(try grant(&driver, id: 7, ttl: 1, now: .seconds(0)).ttl == 2)
        #expect(throws: KVError.leaseTTLTooLarge) { try grant(&driver, id: 8, ttl: 9_000_000_001, now: .seconds(0)) }
    }

    /// A keep-alive restarts the lease's clock with its full TTL on the leader (etcd's Renew),
    /// so it is not expired at the time it would have been.
    @Test func keepAliveRestartsTheClockOnTheLeader() throws {
        var driver = EntryDriver()
        driver.machine.promoteLessor(now: .seconds(0), extend: 0)
        _ = try grant(&driver, id: 1, ttl: 10, now: .seconds(0))
        #expect(driver.machine.expiredLeases(at: .seconds(9)).isEmpty)
        let renewed = try driver.machine.keepAlive(LeaseKeepAliveRequest(id: 1), now: .seconds(9))
        #expect(renewed.ttl == 10)
        #expect(driver.machine.expiredLeases(at: .seconds(12)).isEmpty)
        #expect(driver.machine.leaseTimeToLive(LeaseTimeToLiveRequest(id: 1), now: .seconds(12)).ttl == 7)
        #expect(driver.machine.expiredLeases(at: .seconds(19)) == [1])
        // etcd's lease server answers a keep-alive of an unknown lease with TTL 0.
        #expect(try driver.machine.keepAlive(LeaseKeepAliveRequest(id: 99), now: .seconds(9)).ttl == 0)
    }

    /// Only the primary lessor renews; a follower's keep-alive is refused.
    @Test func followerRefusesKeepAlive() throws {
        var driver = EntryDriver()
        _ = try grant(&driver, id: 1, ttl: 10, now: .seconds(0))
        #expect(throws: KVError.notPrimary) { try driver.machine.keepAlive(LeaseKeepAliveRequest(id: 1), now: .seconds(1)) }
        #expect(driver.machine.expiredLeases(at: .seconds(1_000)).isEmpty)
    }

    /// Expiry is decided by the leader at an injected time and committed as a LeaseRevoke,
    /// which deletes the attached keys in one revision.
    @Test func expiryIsCommittedAsARevokeDeletingKeysInOneRevision() throws {
        var driver = EntryDriver()
        driver.machine.promoteLessor(now: .seconds(100), extend: 0)
        _ = try grant(&driver, id: 5, ttl: 30, now: .seconds(100))
        driver.put("x", "1", lease: 5)
        driver.put("y", "2", lease: 5)
        driver.put("z", "3")
        #expect(driver.machine.expiredLeases(at: .seconds(129)).isEmpty)
        let expired = driver.machine.expiredLeases(at: .seconds(130))
        #expect(expired == [5])
        let before = driver.machine.revision
        for id in expired { _ = try driver.apply(InternalRaftRequest(leaseRevoke: LeaseRevokeRequest(id: id))).get() }
        #expect(driver.machine.revision == before + 1)
        #expect(try driver.get("x").count == 0)
        #expect(try driver.get("y").count == 0)
        #expect(try driver.get("z").count == 1)
        #expect(driver.machine.leaseLeases().leases.isEmpty)
    }

    /// On a new leader every lease's clock restarts with its remaining TTL (the checkpointed
    /// one when there is one) extended by the given time, as etcd's Promote does.
    @Test func promoteExtendsRemainingTTLOnANewLeader() throws {
        var driver = EntryDriver()
        _ = try grant(&driver, id: 1, ttl: 60, now: .seconds(0))
        _ = try grant(&driver, id: 2, ttl: 60, now: .seconds(0))
        _ = try driver.apply(InternalRaftRequest(leaseCheckpoint: LeaseCheckpointRequest(
            checkpoints: [LeaseCheckpoint(id: 2, remainingTTL: 20)]))).get()
        driver.machine.promoteLessor(now: .seconds(1_000), extend: 1)
        #expect(driver.machine.expiredLeases(at: .seconds(1_020)).isEmpty)
        #expect(driver.machine.expiredLeases(at: .seconds(1_021)) == [2])
        #expect(driver.machine.expiredLeases(at: .seconds(1_061)) == [1, 2])
        driver.machine.demoteLessor()
        #expect(driver.machine.expiredLeases(at: .seconds(5_000)).isEmpty)
    }

    /// A key moved to another lease leaves the first one's key list; deleting a key detaches it.
    @Test func attachmentsFollowPutsAndDeletes() throws {
        var driver = EntryDriver()
        _ = try grant(&driver, id: 1, ttl: 60, now: .seconds(0))
        _ = try grant(&driver, id: 2, ttl: 60, now: .seconds(0))
        driver.put("k", "v", lease: 1)
        driver.put("k", "w", lease: 2)
        driver.put("gone", "v", lease: 2)
        driver.delete("gone")
        let one = driver.machine.leaseTimeToLive(LeaseTimeToLiveRequest(id: 1, keys: true), now: .seconds(0))
        let two = driver.machine.leaseTimeToLive(LeaseTimeToLiveRequest(id: 2, keys: true), now: .seconds(0))
        #expect(one.keys.isEmpty)
        #expect(two.keys == [Data("k".utf8)])
    }
}
