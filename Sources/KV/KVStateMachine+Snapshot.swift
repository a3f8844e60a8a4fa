import Foundation
import Wire

/// Ferry's KV snapshot: the whole store (keys, every retained revision, the revision and the
/// compaction point), the leases, the alarms and the auth store, in a compact binary format:
///
///     "FERRYKV2"  revision:i64  compactRevision:i64
///     keys:u32     { length:u32 bytes }
///     records:u32  { main:i64 sub:u32 key:u32 tombstone:u8 create:i64 version:i64 lease:i64 length:u32 value }
///     leases:u32   { id:i64 ttl:i64 remainingTTL:i64 }
///     alarms:u32   { memberID:i64 alarm:u32 }
///     users:u32    { length:u32 authpb.User }
///     roles:u32    { length:u32 authpb.Role }
///     crc32c:u32 of everything before it
///
/// Integers are little-endian; records are in revision order, users and roles in name order.
/// Watchers are not state. "FERRYKV1" snapshots (written before alarms and auth were kept)
/// end after the leases, and are read as having neither.
extension KVStateMachine {
    static let snapshotMagic = Array("FERRYKV2".utf8)
    static let snapshotMagicV1 = Array("FERRYKV1".utf8)

    public func snapshot() -> [UInt8] { snapshotImage().serialized() }

    /// The state as of now, to be written out on any thread (see `KVSnapshotImage`). On the
    /// state machine's thread.
    public func snapshotImage() -> KVSnapshotImage {
        store.settleCompaction()
        var w = SnapshotWriter()
        let leases = lessor.leases.keys.sorted().map { lessor.leases[$0]! }
        w.uint32(UInt32(leases.count))
        for lease in leases {
            w.int64(lease.id)
            w.int64(lease.ttl)
            w.int64(lease.remainingTTL)
        }
        let alarms = alarmStore.get(.none)
        w.uint32(UInt32(alarms.count))
        for alarm in alarms {
            w.int64(Int64(bitPattern: alarm.memberID))
            w.uint32(UInt32(bitPattern: alarm.alarm.rawValue))
        }
        let users = auth.sortedUsers
        w.uint32(UInt32(users.count))
        for user in users { w.run(user.serializedBytes()) }
        let roles = auth.sortedRoles
        w.uint32(UInt32(roles.count))
        for role in roles { w.run(role.serializedBytes()) }
        return KVSnapshotImage(store: store, tail: w.bytes)
    }

    /// The length `snapshot()` would have, counted without writing it: what Ferry reports as
    /// its database size (etcd reports its bbolt file's).
    public var snapshotSize: Int {
        let head = KVStateMachine.snapshotMagic.count + 8 + 8 + 4 + 4
        return head + store.snapshotBytes + 4 + 24 * lessor.leases.count + 4 + 12 * alarmStore.get(.none).count
            + auth.snapshotBytes + 4
    }

    /// Replaces the store and leases with a snapshot's. The lessor comes back not primary
    /// (a leader promotes it); watchers are kept, unsynced. Nothing changes when the bytes are invalid.
    public func restore(snapshot bytes: [UInt8]) throws(KVSnapshotError) {
        let magic = Array(bytes.prefix(KVStateMachine.snapshotMagic.count))
        guard bytes.count >= KVStateMachine.snapshotMagic.count + 4,
              magic == KVStateMachine.snapshotMagic || magic == KVStateMachine.snapshotMagicV1
        else { throw .notASnapshot }
        var checksum: UInt32 = 0
        checksum = CRC32C.update(checksum, Array(bytes.dropLast(4)))
        var tail = SnapshotReader(Array(bytes.suffix(4)))
        guard try tail.uint32() == checksum else { throw .checksumMismatch }

        var r = SnapshotReader(Array(bytes.dropLast(4)))
        _ = try r.take(KVStateMachine.snapshotMagic.count)
        let revision = try r.int64()
        let compactRevision = try r.int64()
        let keyCount = Int(try r.uint32())
        var keys: [[UInt8]] = []
        for _ in 0..<keyCount { keys.append(try r.run()) }
        let recordCount = Int(try r.uint32())
        var records: [(record: RevisionRecord, value: [UInt8])] = []
        var last = Revision(main: 0, sub: -1)
        for _ in 0..<recordCount {
            let main = try r.int64()
            let sub = try r.uint32()
            let key = try r.uint32()
            let tombstone = try r.uint8() != 0
            let create = try r.int64()
            let version = try r.int64()
            let lease = try r.int64()
            let value = try r.run()
            guard Int(key) < keys.count else { throw .inconsistent("record names key \(key) of \(keys.count)") }
            let record = RevisionRecord(main: main, createRevision: create, version: version, lease: lease, value: .empty,
                                        sub: Int32(truncatingIfNeeded: sub), key: Int32(key), previous: -1, isTombstone: tombstone)
            guard last < record.revision, main <= revision else { throw .inconsistent("records out of revision order") }
            last = record.revision
            records.append((record, value))
        }
        let leaseCount = Int(try r.uint32())
        var leases: [Lease] = []
        for _ in 0..<leaseCount {
            leases.append(Lease(id: try r.int64(), ttl: try r.int64(), remainingTTL: try r.int64(), expiry: .never, keys: []))
        }
        var alarms: [AlarmMember] = []
        var users: [User] = []
        var roles: [Role] = []
        if magic == KVStateMachine.snapshotMagic {
            for _ in 0..<Int(try r.uint32()) {
                alarms.append(AlarmMember(memberID: UInt64(bitPattern: try r.int64()), alarm: AlarmType(rawValue: Int32(bitPattern: try r.uint32()))))
            }
            for _ in 0..<Int(try r.uint32()) { users.append(try r.message(User.self)) }
            for _ in 0..<Int(try r.uint32()) { roles.append(try r.message(Role.self)) }
        }
        guard r.isAtEnd else { throw .inconsistent("bytes after the last section") }

        let previousRevision = store.currentRevision
        store.restore(revision: revision, compactRevision: compactRevision, keys: keys, records: records)
        watches.allFallBehind(from: previousRevision + 1)  // caught up from the new history, as etcd's Restore does
        lessor.restore(leases)
        alarmStore.restore(alarms)
        auth.restore(users: users, roles: roles)
        for id in 0..<Int32(store.keys.count) {
            guard let newest = store.visible(id, at: store.currentRevision) else { continue }
            let lease = store.log[Int(newest)].lease
            if lease != 0 { lessor.attach(store.keys.data(id), to: lease) }
        }
    }
}
