import Wire

/// The KV state at one moment, frozen so that it can be written out on another thread while
/// the state machine goes on applying: the bytes of `KVStateMachine.snapshot()` as of the
/// moment it was taken.
///
/// Taking one costs no copy: the key table's entries and the revision log are copy-on-write
/// arrays (the store's next change copies them, once), and the key and value arenas only
/// ever append past what the image reads. Leases, alarms and auth, small, are encoded when
/// the image is taken.
public final class KVSnapshotImage: Sendable {
    private let revision: Int64
    private let compactRevision: Int64
    private let view: StoreView
    /// Leases, alarms, users and roles, encoded.
    private let tail: [UInt8]

    init(store: MVCCStore, tail: [UInt8]) {
        revision = store.currentRevision
        compactRevision = store.compactRevision
        view = StoreView(store)
        self.tail = tail
    }

    /// Writes the snapshot's bytes to `sink` in pieces of about `piece` bytes, the checksum
    /// last. Any thread.
    public func write<E: Error>(piece: Int = 1 << 20, to sink: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        var w = SnapshotWriter()
        var checksum: UInt32 = 0
        func flush() throws(E) {
            checksum = CRC32C.update(checksum, w.bytes)
            let result = w.bytes.withUnsafeBytes { raw in Result { () throws(E) in try sink(raw) } }
            try result.get()
            w.clear()
        }
        w.raw(KVStateMachine.snapshotMagic)
        w.int64(revision)
        w.int64(compactRevision)
        w.uint32(UInt32(view.keyCount))
        for id in 0..<Int32(view.keyCount) {
            w.run(view.keyBytes(id))
            if w.bytes.count >= piece { try flush() }
        }
        w.uint32(UInt32(view.log.count))
        for record in view.log {
            w.int64(record.main)
            w.uint32(UInt32(record.sub))
            w.uint32(UInt32(record.key))
            w.uint8(record.isTombstone ? 1 : 0)
            w.int64(record.createRevision)
            w.int64(record.version)
            w.int64(record.lease)
            w.run(view.valueBytes(record.value))
            if w.bytes.count >= piece { try flush() }
        }
        w.raw(tail)
        try flush()
        w.uint32(checksum)
        try flush()
    }

    /// The snapshot's bytes in one array.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        write { (raw: UnsafeRawBufferPointer) in out.append(contentsOf: raw) }
        return out
    }
}
