import Foundation
import Raft
import Wire

/// Raft's log kept on disk the way an etcd member keeps it: `member/wal` holds every entry
/// and hard state, `member/snap` the snapshots; a memory copy (raft's `MemoryStorage`)
/// answers raft's reads. A member restarted from its directory gets back the same hard
/// state, log and snapshot it had when it stopped.
public final class DurableLog: RaftStorage {
    public let directory: String
    /// `member/snap`: raft's `.snap` files (and the state machine's `.snap.db` beside them).
    public var snapDirectory: String { "\(directory)/snap" }
    /// `member/wal`: the WAL's segment files.
    public var walDirectory: String { "\(directory)/wal" }
    let memory = MemoryStorage()
    let wal: WAL
    let snapshotter: Snapshotter
    /// The WAL's metadata (etcd writes the member and cluster IDs there).
    public let metadata: Data?

    /// Opens the member directory `directory` (holding `wal/` and `snap/`), creating it with
    /// `metadata` when it holds no WAL yet, and recovers its state.
    public init(
        fs: any FileSystem = POSIXFileSystem(), directory: String, metadata: Data?,
        segmentSize: Int = WALFormat.defaultSegmentSize
    ) throws(DiskError) {
        self.directory = directory
        let walDirectory = "\(directory)/wal"
        let snapDirectory = "\(directory)/snap"
        if !fs.exists(directory) { try fs.makeDirectory(directory) }
        if !fs.exists(snapDirectory) { try fs.makeDirectory(snapDirectory) }
        snapshotter = Snapshotter(fs: fs, directory: snapDirectory)
        guard fs.exists(walDirectory) else {
            wal = try WAL.create(fs: fs, directory: walDirectory, metadata: metadata, segmentSize: segmentSize)
            self.metadata = metadata
            return
        }
        var snapshot: Snapshot?
        do { snapshot = try snapshotter.load() } catch .noSnapshot { snapshot = nil }
        let at = WALSnapshot(index: snapshot?.metadata.index ?? 0, term: snapshot?.metadata.term ?? 0)
        wal = try WAL.open(fs: fs, directory: walDirectory, at: at, writable: true, segmentSize: segmentSize)
        let (recoveredMetadata, state, entries) = try wal.readAll()
        self.metadata = recoveredMetadata
        if let snapshot { try? memory.applySnapshot(snapshot) }
        memory.setHardState(state)
        memory.append(entries)
    }

    /// Persists what a Ready hands out, in etcd's order: a snapshot first (its file, then its
    /// WAL record), then entries and hard state (synced when raft needs it), and only then
    /// the memory copy raft reads.
    public func save(hardState: HardState, entries: [Entry], snapshot: Snapshot?) throws(DiskError) {
        if let snapshot, snapshot.metadata.index > 0 {
            try snapshotter.save(snapshot)
            try wal.saveSnapshot(WALSnapshot(index: snapshot.metadata.index, term: snapshot.metadata.term))
        }
        try wal.save(hardState: hardState, entries: entries)
        if let snapshot, snapshot.metadata.index > 0 { try? memory.applySnapshot(snapshot) }
        if !WALFormat.isEmpty(hardState) { memory.setHardState(hardState) }
        memory.append(entries)
    }

    /// Takes a snapshot of the applied state at `index`, writes it, and compacts the log
    /// before it, keeping `keepEntries` entries for slow followers (etcd keeps 5,000).
    public func snapshot(at index: UInt64, confState: ConfState, data: Data, keepEntries: UInt64) throws(DiskError) {
        let snapshot: Snapshot
        do { snapshot = try memory.createSnapshot(at: index, confState: confState, data: data) } catch {
            return  // already as new as that
        }
        try snapshotter.save(snapshot)
        try wal.saveSnapshot(WALSnapshot(index: snapshot.metadata.index, term: snapshot.metadata.term))
        if index > keepEntries { try? memory.compact(to: index - keepEntries) }
        wal.releaseLock(to: index)
    }

    public func close() throws(DiskError) { try wal.close() }

    // RaftStorage: raft reads the memory copy.

    public func initialState() throws(Raft.StorageError) -> (HardState, ConfState) { memory.initialState() }

    public func entries(in range: Range<UInt64>, maxSize: UInt64) throws(Raft.StorageError) -> [Entry] {
        try memory.entries(in: range, maxSize: maxSize)
    }

    public func term(at index: UInt64) throws(Raft.StorageError) -> UInt64 { try memory.term(at: index) }

    public var firstIndex: UInt64 { memory.firstIndex }

    public var lastIndex: UInt64 { memory.lastIndex }

    public func snapshot() throws(Raft.StorageError) -> Snapshot { memory.snapshot() }
}
