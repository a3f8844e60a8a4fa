import Wire

/// The replicated log as raft sees it: what storage holds, then the unstable tail, with
/// the commit and apply cursors (etcd's `raftLog`).
struct RaftLog {
    let storage: any RaftStorage
    var unstable: UnstableLog
    /// The highest index known to be on a quorum.
    var committed: UInt64
    /// The highest index the application has applied.
    var applied: UInt64
    /// Bounds the committed entries handed out in one Ready.
    let maxNextEntriesSize: UInt64
    let logger: Logging

    init(storage: any RaftStorage, maxNextEntriesSize: UInt64, logger: Logging) {
        self.storage = storage
        self.maxNextEntriesSize = maxNextEntriesSize
        self.logger = logger
        unstable = UnstableLog(offset: storage.lastIndex + 1)
        committed = storage.firstIndex - 1
        applied = storage.firstIndex - 1
    }

    var description: String {
        "committed=\(committed), applied=\(applied), unstable.offset=\(unstable.offset), len(unstable.Entries)=\(unstable.entries.count)"
    }

    var firstIndex: UInt64 { unstable.firstIndex ?? storage.firstIndex }

    var lastIndex: UInt64 { unstable.lastIndex ?? storage.lastIndex }

    var lastTerm: UInt64 {
        do { return try term(at: lastIndex) } catch {
            logger.panic("unexpected error when getting the last term (\(error))")
            return 0
        }
    }

    /// The term at `index`; 0 outside [first index - 1, last index].
    func term(at index: UInt64) throws(StorageError) -> UInt64 {
        let dummy = firstIndex - 1
        if index < dummy || index > lastIndex { return 0 }
        if let term = unstable.term(at: index) { return term }
        return try storage.term(at: index)
    }

    /// The term at `index`, 0 when compacted away.
    func termOrZero(at index: UInt64) -> UInt64 {
        do throws(StorageError) { return try term(at: index) } catch .compacted { return 0 } catch {
            logger.panic("unexpected error (\(error))")
            return 0
        }
    }

    func matchTerm(_ index: UInt64, _ term: UInt64) -> Bool {
        (try? self.term(at: index)) == term
    }

    /// The election restriction: a candidate whose last entry is (lastIndex, term) is at
    /// least as up to date as this log.
    func isUpToDate(lastIndex candidateIndex: UInt64, term candidateTerm: UInt64) -> Bool {
        let ourTerm = lastTerm
        return candidateTerm > ourTerm || (candidateTerm == ourTerm && candidateIndex >= lastIndex)
    }

    /// Appends a leader's entries that follow (index, logTerm), replacing a conflicting
    /// suffix; nil when this log has no entry (index, logTerm).
    mutating func maybeAppend(index: UInt64, logTerm: UInt64, committed leaderCommit: UInt64, entries: [Entry]) -> UInt64? {
        guard matchTerm(index, logTerm) else { return nil }
        let lastNew = index + UInt64(entries.count)
        let conflict = findConflict(entries)
        if conflict != 0 && conflict <= committed {
            logger.panic("entry \(conflict) conflict with committed entry [committed(\(committed))]")
        } else if conflict != 0 {
            append(Array(entries[Int(conflict - (index + 1))...]))
        }
        commit(to: min(leaderCommit, lastNew))
        return lastNew
    }

    @discardableResult
    mutating func append(_ entries: [Entry]) -> UInt64 {
        guard let first = entries.first else { return lastIndex }
        if first.index - 1 < committed {
            logger.panic("after(\(first.index - 1)) is out of range [committed(\(committed))]")
        }
        unstable.truncateAndAppend(entries, logger: logger)
        return lastIndex
    }

    /// The index of the first entry whose term differs from ours (or that we lack), 0 if
    /// all of `entries` are already here.
    func findConflict(_ entries: [Entry]) -> UInt64 {
        for entry in entries where !matchTerm(entry.index, entry.term) {
            if entry.index <= lastIndex {
                logger.info("found conflict at index \(entry.index) [existing term: \(termOrZero(at: entry.index)), conflicting term: \(entry.term)]")
            }
            return entry.index
        }
        return 0
    }

    var unstableEntries: [Entry] { unstable.entries }

    /// Committed entries not yet applied, bounded by `maxNextEntriesSize`.
    func nextEntries() -> [Entry] {
        let from = max(applied + 1, firstIndex)
        guard committed + 1 > from else { return [] }
        do { return try slice(from..<(committed + 1), maxSize: maxNextEntriesSize) } catch {
            logger.panic("unexpected error when getting unapplied entries (\(error))")
            return []
        }
    }

    var hasNextEntries: Bool { committed + 1 > max(applied + 1, firstIndex) }

    func snapshot() throws(StorageError) -> Snapshot {
        if let snapshot = unstable.snapshot { return snapshot }
        return try storage.snapshot()
    }

    mutating func commit(to index: UInt64) {
        guard committed < index else { return }
        if lastIndex < index {
            logger.panic("tocommit(\(index)) is out of range [lastIndex(\(lastIndex))]. Was the raft log corrupted, truncated, or lost?")
        }
        committed = index
    }

    /// Commits `index` if it is past the commit index and of `term`: a leader only counts
    /// replicas for entries of its own term.
    mutating func maybeCommit(_ index: UInt64, term: UInt64) -> Bool {
        guard index > committed, termOrZero(at: index) == term else { return false }
        commit(to: index)
        return true
    }

    mutating func applied(to index: UInt64) {
        guard index != 0 else { return }
        if committed < index || index < applied {
            logger.panic("applied(\(index)) is out of range [prevApplied(\(applied)), committed(\(committed))]")
        }
        applied = index
    }

    mutating func stable(to index: UInt64, term: UInt64) { unstable.stable(to: index, term: term) }

    mutating func stableSnapshot(to index: UInt64) { unstable.stableSnapshot(to: index) }

    mutating func restore(_ snapshot: Snapshot) {
        logger.info("log [\(description)] starts to restore snapshot [index: \(snapshot.metadata.index), term: \(snapshot.metadata.term)]")
        committed = snapshot.metadata.index
        unstable.restore(snapshot)
    }

    /// Entries from `index` to the end, bounded by `maxSize`.
    func entries(from index: UInt64, maxSize: UInt64) throws(StorageError) -> [Entry] {
        if index > lastIndex { return [] }
        return try slice(index..<(lastIndex + 1), maxSize: maxSize)
    }

    /// Entries in `range`, from storage then the unstable tail, bounded by `maxSize`.
    func slice(_ range: Range<UInt64>, maxSize: UInt64) throws(StorageError) -> [Entry] {
        let first = firstIndex
        if range.lowerBound < first { throw .compacted }
        if range.upperBound > lastIndex + 1 {
            logger.panic("slice[\(range.lowerBound),\(range.upperBound)) out of bound [\(first),\(lastIndex)]")
            return []
        }
        if range.isEmpty { return [] }
        var result: [Entry] = []
        if range.lowerBound < unstable.offset {
            let storedEnd = min(range.upperBound, unstable.offset)
            do throws(StorageError) {
                result = try storage.entries(in: range.lowerBound..<storedEnd, maxSize: maxSize)
            } catch .compacted {
                throw .compacted
            } catch {
                logger.panic("entries[\(range.lowerBound):\(storedEnd)) is unavailable from storage")
                return []
            }
            if UInt64(result.count) < storedEnd - range.lowerBound { return result }
        }
        if range.upperBound > unstable.offset {
            result.append(contentsOf: unstable.slice(max(range.lowerBound, unstable.offset)..<range.upperBound))
        }
        return Array(limitSize(result[...], maxSize))
    }
}
