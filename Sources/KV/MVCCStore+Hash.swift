import Wire

/// etcd's HashKV result: the hash and the revisions it was taken at.
public struct KVHash: Hashable, Sendable {
    public var hash: UInt32
    public var revision: Int64
    public var compactRevision: Int64
}

extension MVCCStore {
    /// etcd's HashByRev (mvcc/kvstore.go): CRC-32C over "key", then each retained revision up to
    /// `revision` (0 for the current one) as its backend key and marshaled KeyValue. Revisions at
    /// or below the compaction point count only when they are a live key's newest, unless no
    /// key is live.
    func hash(at revision: Int64) throws(KVError) -> KVHash {
        if revision > 0, revision <= compactRevision { throw .compacted }
        if revision > 0, revision > currentRevision { throw .futureRevision }
        let at = revision == 0 ? currentRevision : revision
        var keep = [Bool](repeating: false, count: log.count)
        var keepsAny = false
        for id in 0..<Int32(keys.count) {
            if let record = visible(id, at: at) {
                keep[Int(record)] = true
                keepsAny = true
            }
        }
        var checksum: UInt32 = 0
        checksum = CRC32C.update(checksum, Array("key".utf8))
        for (i, record) in log.enumerated() {
            if record.main > at { break }
            if record.main <= compactRevision, keepsAny, !keep[i] { continue }
            checksum = CRC32C.update(checksum, record.revision.backendKey(tombstone: record.isTombstone))
            let stored = record.isTombstone
                ? KeyValue(key: keys.data(record.key))
                : KeyValue(key: keys.data(record.key), createRevision: record.createRevision, modRevision: record.main,
                           version: record.version, value: values.data(record.value), lease: record.lease)
            checksum = CRC32C.update(checksum, stored.serializedBytes())
        }
        return KVHash(hash: checksum, revision: currentRevision, compactRevision: compactRevision)
    }
}
