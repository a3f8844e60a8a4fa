import Foundation
import KV
import Storage
import TestSupport
import Testing
import Wire
@testable import Server

/// What a new member writes before raft runs, and the v2 requests it logs, against the WAL of
/// a real etcd 3.4.23 member started with the same flags (../shared/captures).
@Suite("bootstrap entries and membership records as etcd writes them")
struct BootstrapTests {
    static let capture = "../shared/captures/etcd-3.4.23-basic/m1/wal"
    static let haveCapture = canRun(needing: capture)

    func captureConfiguration(dataDir: String) throws -> ServerConfiguration {
        try ServerConfiguration(flags: [
            "name": "m1", "data-dir": dataDir,
            "listen-client-urls": "http://127.0.0.1:23791", "advertise-client-urls": "http://127.0.0.1:23791",
            "listen-peer-urls": "http://127.0.0.1:23801", "initial-advertise-peer-urls": "http://127.0.0.1:23801",
            "initial-cluster": "m1=http://127.0.0.1:23801,m2=http://127.0.0.1:23802,m3=http://127.0.0.1:23803",
            "initial-cluster-state": "new", "initial-cluster-token": "capture-basic",
        ])
    }

    func captured() throws -> (metadata: Data?, entries: [Entry]) {
        let wal = try WAL.open(directory: Self.capture, at: WALSnapshot(), writable: false)
        defer { try? wal.close() }
        let (metadata, _, entries) = try wal.readAll()
        return (metadata, entries)
    }

    @Test("a new member's WAL metadata and conf-change entries are byte for byte etcd's", .enabled(if: haveCapture))
    func bootstrapMatchesEtcd() throws {
        let directory = NSTemporaryDirectory() + "ferry-bootstrap-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try MemberStore.open(try captureConfiguration(dataDir: directory), kv: KVStateMachine())
        try store.storage.close()
        let wal = try WAL.open(directory: directory + "/member/wal", at: WALSnapshot(), writable: false)
        defer { try? wal.close() }
        let (metadata, state, entries) = try wal.readAll()
        let etcd = try captured()
        #expect(metadata == etcd.metadata)
        #expect(entries.count == 3)
        #expect(entries == Array(etcd.entries.prefix(3)))
        #expect(state.term == 1 && state.commit == 3 && state.vote == 0)
    }

    @Test("a member's attributes and the cluster version are logged as etcd logs them", .enabled(if: haveCapture))
    func v2RequestsMatchEtcd() throws {
        let etcd = try captured()
        let attributes = Membership.attributesRequest(id: 0x2aa658a73d83cbc, name: "m1", clientURLs: ["http://127.0.0.1:23791"])
        guard case .v2(let loggedAttributes) = attributes.logged(id: 4376551134941024001),
              case .v2(let loggedVersion) = Membership.versionRequest(version: "3.4.0").logged(id: 4376551134941024004) else {
            Issue.record("a v2 request is not logged as one")
            return
        }
        #expect(loggedAttributes.serializedData() == etcd.entries[4].data)
        #expect(loggedVersion.serializedData() == etcd.entries[7].data)
    }

    @Test("applying etcd's bootstrap entries and requests gives every member its name and URLs")
    func membershipFromEntries() throws {
        var membership = Membership()
        let member = ClusterMember(id: 7, name: "a", peerURLs: ["http://127.0.0.1:1"])
        let change = ConfChange(type: .confChangeAddNode, nodeID: 7, context: Data(member.json.utf8))
        #expect(try membership.apply(change) == .added(member))
        let tookAttributes = membership.apply(Membership.attributesRequest(id: 7, name: "a", clientURLs: ["http://c:2379"]))
        #expect(tookAttributes)
        #expect(membership.members[7]?.clientURLs == ["http://c:2379"])
        let tookVersion = membership.apply(Membership.versionRequest(version: "3.4.0"))
        #expect(tookVersion)
        #expect(membership.clusterVersion == "3.4.0")
        #expect(try membership.apply(ConfChange(type: .confChangeRemoveNode, nodeID: 7)) == .removed(7))
        #expect(membership.removed == [7])
        #expect(try membership.refusal(of: change) == .idRemoved)
    }

    @Test("a membership change is refused when applied as etcd's ValidateConfigurationChange refuses it")
    func membershipRefusals() throws {
        var membership = Membership()
        let a = ClusterMember(id: 1, name: "a", peerURLs: ["http://127.0.0.1:1"])
        _ = try membership.apply(ConfChange(type: .confChangeAddNode, nodeID: 1, context: Data(a.json.utf8)))
        let sameURL = ClusterMember(id: 2, peerURLs: a.peerURLs)
        #expect(try membership.refusal(of: ConfChange(type: .confChangeAddNode, nodeID: 2, context: Data(sameURL.json.utf8))) == .peerURLExists)
        #expect(try membership.refusal(of: ConfChange(type: .confChangeAddNode, nodeID: 1, context: Data(a.json.utf8))) == .idExists)
        #expect(try membership.refusal(of: ConfChange(type: .confChangeRemoveNode, nodeID: 9)) == .idNotFound)
        let promoteA = ConfChange(type: .confChangeAddNode, nodeID: 1, context: Data(Membership.promotionContext(id: 1).utf8))
        #expect(try membership.refusal(of: promoteA) == .memberNotLearner)
        let learner = ClusterMember(id: 3, peerURLs: ["http://127.0.0.1:3"], isLearner: true)
        let addLearner = ConfChange(type: .confChangeAddLearnerNode, nodeID: 3, context: Data(learner.json.utf8))
        #expect(try membership.refusal(of: addLearner) == nil)
        _ = try membership.apply(addLearner)
        let second = ClusterMember(id: 4, peerURLs: ["http://127.0.0.1:4"], isLearner: true)
        #expect(try membership.refusal(of: ConfChange(type: .confChangeAddLearnerNode, nodeID: 4, context: Data(second.json.utf8))) == .tooManyLearners)
        let promote = ConfChange(type: .confChangeAddNode, nodeID: 3, context: Data(Membership.promotionContext(id: 3).utf8))
        #expect(try membership.refusal(of: promote) == nil)
        #expect(try membership.apply(promote) == .promoted(3))
        #expect(membership.members[3]?.isLearner == false)
        #expect(membership.members[3]?.peerURLs == learner.peerURLs)
    }

    @Test("a member's JSON keeps a 64-bit ID exact, and a snapshot round-trips membership and KV")
    func snapshotRoundTrip() throws {
        let id: UInt64 = 0xfd422379fda50e48
        let member = ClusterMember(id: id, name: "infra3", peerURLs: ["http://127.0.0.1:32380"], clientURLs: ["http://127.0.0.1:32379"])
        #expect(member.json == "{\"id\":18249187646912138824,\"peerURLs\":[\"http://127.0.0.1:32380\"],\"name\":\"infra3\",\"clientURLs\":[\"http://127.0.0.1:32379\"]}")
        var membership = Membership()
        _ = try membership.apply(ConfChange(type: .confChangeAddNode, nodeID: id, context: Data(member.json.utf8)))
        _ = membership.apply(Membership.versionRequest(version: "3.4.0"))
        let kv = KVStateMachine()
        _ = kv.apply(InternalRaftRequest(header: RequestHeader(id: 1), put: PutRequest(key: Data("k".utf8), value: Data("v".utf8))))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("snap-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let raftData = ServerSnapshot.raftData(membership)
        let written = try ServerSnapshot.writeKV(kv.snapshotImage(), directory: directory, index: 42)
        #expect(written == kv.snapshot().count)
        #expect(try ServerSnapshot.readKV(directory: directory, index: 42) == kv.snapshot())
        let restored = KVStateMachine()
        #expect(try ServerSnapshot.load(raftData: raftData, index: 42, directory: directory, into: restored) == membership)
        #expect(restored.revision == kv.revision)
        #expect(throws: MembershipError.self) { try ServerSnapshot.membership(fromRaftData: Array("garbage".utf8)) }
        #expect(throws: MembershipError.self) { try ServerSnapshot.membership(fromRaftData: Array(raftData.prefix(20))) }
        #expect(throws: SnapshotDBError.self) { try ServerSnapshot.load(raftData: raftData, index: 43, directory: directory, into: restored) }
    }

    @Test("request IDs carry the member's low 16 bits and count up")
    func requestIDs() {
        var ids = RequestIDGenerator(memberID: 0x2aa658a73d83cbc, now: Date(timeIntervalSince1970: 1_700_000_000))
        let first = ids.next()
        #expect(first >> 48 == 0x3cbc)
        #expect(ids.next() == first + 1)
    }
}
