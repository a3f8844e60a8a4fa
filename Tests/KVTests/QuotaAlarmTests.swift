import Foundation
import KV
import Testing
import Wire

/// Alarms, the backend quota and defragmentation, as etcd's applier, quota.go and alarm store
/// have them.
@Suite struct QuotaAlarmTests {
    func alarm(_ action: AlarmRequest.AlarmAction, _ member: UInt64, _ type: AlarmType = .nospace) -> InternalRaftRequest {
        InternalRaftRequest(alarm: AlarmRequest(action: action, memberID: member, alarm: type))
    }

    func alarms(_ result: Result<KVResponse, KVError>) -> [AlarmMember]? {
        if case .success(.alarm(let response)) = result { response.alarms } else { nil }
    }

    @Test func alarmsAreRaisedListedAndDisarmedPerMember() {
        var driver = EntryDriver()
        #expect(alarms(driver.apply(alarm(.get, 0, .none))) == [])
        #expect(alarms(driver.apply(alarm(.activate, 9))) == [AlarmMember(memberID: 9, alarm: .nospace)])
        #expect(alarms(driver.apply(alarm(.activate, 9))) == [AlarmMember(memberID: 9, alarm: .nospace)])
        driver.apply(alarm(.activate, 3))
        driver.apply(alarm(.activate, 3, .corrupt))
        #expect(alarms(driver.apply(alarm(.get, 0, .none))) == [
            AlarmMember(memberID: 3, alarm: .nospace), AlarmMember(memberID: 9, alarm: .nospace), AlarmMember(memberID: 3, alarm: .corrupt),
        ])
        #expect(alarms(driver.apply(alarm(.get, 0, .corrupt))) == [AlarmMember(memberID: 3, alarm: .corrupt)])
        #expect(alarms(driver.apply(alarm(.deactivate, 9))) == [AlarmMember(memberID: 9, alarm: .nospace)])
        #expect(alarms(driver.apply(alarm(.deactivate, 9))) == [])
        #expect(driver.machine.alarms.count == 2)
    }

    @Test func aNoSpaceAlarmRefusesWritesThatCostSpaceOnly() throws {
        var driver = EntryDriver()
        driver.put("a", "1")
        driver.apply(alarm(.activate, 1))
        #expect(driver.put("a", "2") == .failure(.noSpace))
        #expect(driver.apply(InternalRaftRequest(leaseGrant: LeaseGrantRequest(ttl: 60, id: 5))) == .failure(.noSpace))
        let put = RequestOp(request: .requestPut(PutRequest(key: Data("b".utf8), value: Data("x".utf8))))
        #expect(driver.apply(InternalRaftRequest(txn: TxnRequest(failure: [put]))) == .failure(.noSpace))
        // Reads, deletes and compaction still go through; a txn without puts too.
        let read = RequestOp(request: .requestRange(RangeRequest(key: Data("a".utf8))))
        #expect((try? driver.apply(InternalRaftRequest(txn: TxnRequest(success: [read]))).get()) != nil)
        #expect((try? driver.delete("a").get()) != nil)
        #expect((try? driver.apply(InternalRaftRequest(compaction: CompactionRequest(revision: 3))).get()) != nil)
        #expect(try driver.get("a").kvs.isEmpty)
        driver.apply(alarm(.deactivate, 1))
        #expect((try? driver.put("a", "3").get()) != nil)
    }

    @Test func aWritePastTheQuotaIsAppliedButAnsweredNoSpace() throws {
        let machine = KVStateMachine(configuration: KVConfiguration(quota: BackendQuota(quotaBackendBytes: 2000)))
        var driver = EntryDriver(machine)
        let big = String(repeating: "x", count: 600)
        let request = InternalRaftRequest(put: PutRequest(key: Data("k".utf8), value: Data(big.utf8)))
        #expect(machine.fitsQuota(request))
        #expect((try? driver.put("k1", big).get()) != nil)
        #expect((try? driver.put("k2", big).get()) != nil)
        #expect(!machine.fitsQuota(request))
        #expect(machine.fitsQuota(InternalRaftRequest(deleteRange: DeleteRangeRequest(key: Data("k1".utf8)))))
        #expect(driver.put("k3", big) == .failure(.noSpace))
        #expect(try driver.get("k3").kvs.count == 1)
    }

    @Test func quotaCostsAndLimitsAreEtcds() {
        #expect(BackendQuota(quotaBackendBytes: 0).limit == BackendQuota.defaultBytes)
        #expect(BackendQuota.defaultBytes == 2_147_483_648)
        #expect(BackendQuota(quotaBackendBytes: -1).limit == nil)
        #expect(BackendQuota(quotaBackendBytes: -1).fits(1 << 40, size: 1 << 40))
        #expect(!BackendQuota(quotaBackendBytes: 100).fits(1, size: 99))
        #expect(BackendQuota(quotaBackendBytes: 100).fits(0, size: 1000))
        let put = PutRequest(key: Data("ab".utf8), value: Data("cde".utf8))
        #expect(BackendQuota.cost(of: InternalRaftRequest(put: put)) == 256 + 5)
        #expect(BackendQuota.cost(of: InternalRaftRequest(leaseGrant: LeaseGrantRequest(ttl: 5))) == 64)
        let nested = RequestOp(request: .requestTxn(TxnRequest(success: [RequestOp(request: .requestPut(put))])))
        let txn = TxnRequest(success: [RequestOp(request: .requestPut(put)), nested], failure: [RequestOp(request: .requestPut(put)), RequestOp(request: .requestPut(put))])
        #expect(BackendQuota.cost(of: InternalRaftRequest(txn: txn)) == 2 * 261)
        #expect(BackendQuota.cost(of: InternalRaftRequest(txn: TxnRequest(success: [nested]))) == 0)
    }

    /// The size the quota is judged on stays the snapshot's length through every kind of change.
    @Test func theDatabaseSizeIsTheSnapshotLengthThroughEveryChange() throws {
        var driver = EntryDriver()
        var rng = SeededRandom(seed: 7)
        _ = try driver.apply(InternalRaftRequest(leaseGrant: LeaseGrantRequest(ttl: 600, id: 3))).get()
        driver.apply(alarm(.activate, 12, .corrupt))
        driver.apply(InternalRaftRequest(authUserAdd: AuthUserAddRequest(name: "alice", password: "pw")))
        driver.apply(InternalRaftRequest(authRoleAdd: AuthRoleAddRequest(name: "r")))
        for step in 0..<300 {
            let key = "key\(Int.random(in: 0..<30, using: &rng))"
            if step % 5 == 0 { driver.delete(key) } else { driver.put(key, String(repeating: "v", count: step % 40), lease: step % 7 == 0 ? 3 : 0) }
            if step == 200 { _ = try driver.apply(InternalRaftRequest(compaction: CompactionRequest(revision: 120))).get() }
            #expect(driver.machine.snapshotSize == driver.machine.snapshot().count)
        }
        let before = driver.machine.snapshot()
        driver.machine.defragment()
        #expect(driver.machine.snapshot() == before, "defragmenting one member must not change its Hash")
        #expect(driver.machine.snapshotSize == before.count)
        let restored = KVStateMachine()
        try restored.restore(snapshot: before)
        #expect(restored.snapshotSize == before.count)
        #expect(restored.alarms == [AlarmMember(memberID: 12, alarm: .corrupt)])
    }
}
