import Foundation
import Wire

/// A `RaftStorage` in memory, as etcd's MemoryStorage: the log after the last snapshot,
/// with a dummy entry at its head holding the snapshot's index and term. Confine it to
/// one thread, like the raft node that reads it.
public final class MemoryStorage: RaftStorage {
    public private(set) var hardState = HardState()
    private var latestSnapshot = Snapshot()
    /// entries[0] is the dummy entry at the snapshot's index.
    private var entries: [Entry] = [Entry()]

    public init() {}

    public func initialState() -> (HardState, ConfState) {
        (hardState, latestSnapshot.metadata.confState)
    }

    public func setHardState(_ state: HardState) { hardState = state }

    private var offset: UInt64 { entries[0].index }

    public var firstIndex: UInt64 { offset + 1 }

    public var lastIndex: UInt64 { offset + UInt64(entries.count) - 1 }

    public func entries(in range: Range<UInt64>, maxSize: UInt64) throws(StorageError) -> [Entry] {
        if range.lowerBound <= offset { throw .compacted }
        precondition(range.upperBound <= lastIndex + 1, "entries' hi(\(range.upperBound)) is out of bound lastindex(\(lastIndex))")
        if entries.count == 1 { throw .unavailable }
        let slice = entries[Int(range.lowerBound - offset)..<Int(range.upperBound - offset)]
        return Array(limitSize(slice, maxSize))
    }

    public func term(at index: UInt64) throws(StorageError) -> UInt64 {
        if index < offset { throw .compacted }
        if index - offset >= UInt64(entries.count) { throw .unavailable }
        return entries[Int(index - offset)].term
    }

    public func snapshot() -> Snapshot { latestSnapshot }

    /// Replaces the log with `snapshot`; refuses one that is not newer than the current.
    public func applySnapshot(_ snapshot: Snapshot) throws(StorageError) {
        if latestSnapshot.metadata.index >= snapshot.metadata.index { throw .snapshotOutOfDate }
        latestSnapshot = snapshot
        entries = [Entry(term: snapshot.metadata.term, index: snapshot.metadata.index)]
    }

    /// Records a snapshot of the state at `index` (which must be in the log), for
    /// followers that need it; the log is left alone until `compact`.
    @discardableResult
    public func createSnapshot(at index: UInt64, confState: ConfState?, data: Data?) throws(StorageError) -> Snapshot {
        if index <= latestSnapshot.metadata.index { throw .snapshotOutOfDate }
        precondition(index <= lastIndex, "snapshot \(index) is out of bound lastindex(\(lastIndex))")
        latestSnapshot.metadata.index = index
        latestSnapshot.metadata.term = entries[Int(index - offset)].term
        if let confState { latestSnapshot.metadata.confState = confState }
        latestSnapshot.data = data
        return latestSnapshot
    }

    /// Discards the entries up to `index`; it becomes the dummy entry.
    public func compact(to index: UInt64) throws(StorageError) {
        if index <= offset { throw .compacted }
        precondition(index <= lastIndex, "compact \(index) is out of bound lastindex(\(lastIndex))")
        let i = Int(index - offset)
        entries = [Entry(term: entries[i].term, index: entries[i].index)] + entries[(i + 1)...]
    }

    /// Appends `newEntries`, replacing any entries they overlap; entries below the first
    /// index are ignored.
    public func append(_ newEntries: [Entry]) {
        guard let head = newEntries.first else { return }
        let last = head.index + UInt64(newEntries.count) - 1
        if last < firstIndex { return }
        var incoming = newEntries[...]
        if firstIndex > head.index { incoming = incoming.dropFirst(Int(firstIndex - head.index)) }
        let at = Int(incoming.first!.index - offset)
        precondition(at <= entries.count, "missing log entry [last: \(lastIndex), append at: \(incoming.first!.index)]")
        entries.removeSubrange(at...)
        entries.append(contentsOf: incoming)
    }
}
