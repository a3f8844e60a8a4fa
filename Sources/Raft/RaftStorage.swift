import Wire

/// The log raft has persisted, as the application keeps it (etcd's `raft.Storage`).
/// Raft only reads it; the application writes what each `Ready` hands out, then calls
/// `advance`. Indexes are those of the log; the first index follows the last snapshot.
public protocol RaftStorage: AnyObject {
    /// The persisted hard state and the configuration of the last snapshot.
    func initialState() throws(StorageError) -> (HardState, ConfState)
    /// Entries in `range`, at least one if any exist, then as many as fit in `maxSize`
    /// bytes (protobuf size). Throws `.compacted` below the first index.
    func entries(in range: Range<UInt64>, maxSize: UInt64) throws(StorageError) -> [Entry]
    /// The term of the entry at `index`, which may be the index of the last snapshot.
    func term(at index: UInt64) throws(StorageError) -> UInt64
    /// The index of the first entry still available (the last snapshot's index + 1).
    var firstIndex: UInt64 { get }
    /// The index of the last entry, or of the snapshot when the log is empty.
    var lastIndex: UInt64 { get }
    /// The most recent snapshot; `.snapshotTemporarilyUnavailable` makes the leader retry.
    func snapshot() throws(StorageError) -> Snapshot
}

/// Bounds a run of entries by size as etcd's limitSize does: the first entry always,
/// then entries while the total protobuf size stays within `maxSize`.
func limitSize(_ entries: ArraySlice<Entry>, _ maxSize: UInt64) -> ArraySlice<Entry> {
    guard let first = entries.first else { return entries }
    if maxSize == .max { return entries }
    var size = UInt64(first.protobufSize)
    var end = entries.startIndex + 1
    while end < entries.endIndex {
        size += UInt64(entries[end].protobufSize)
        if size > maxSize { break }
        end += 1
    }
    return entries[entries.startIndex..<end]
}

extension Entry {
    /// The encoded size, as gogoproto's `Entry.Size()`: term, index and type always
    /// written, data only when present.
    var protobufSize: Int {
        var size = 3 + varintSize(term) + varintSize(index) + varintSize(UInt64(UInt32(bitPattern: type.rawValue)))
        if let data { size += 1 + varintSize(UInt64(data.count)) + data.count }
        return size
    }

    /// The size of the payload, which the uncommitted-size limit counts.
    var payloadSize: Int { data?.count ?? 0 }
}

private func varintSize(_ value: UInt64) -> Int {
    (64 - (value | 1).leadingZeroBitCount + 6) / 7
}
