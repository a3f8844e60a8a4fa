import Raft
import Wire

/// A broken Raft guarantee, with what showed it.
struct SafetyViolation: Error, CustomStringConvertible {
    let description: String
}

/// The Raft paper's safety properties (figure 3), checked as the simulation runs against
/// everything any node has persisted, committed or applied so far.
struct SafetyChecker {
    /// Election safety: the one leader seen in each term.
    private var leaderOfTerm: [UInt64: UInt64] = [:]
    /// Log matching: each (index, term) ever persisted, with its entry and the term of
    /// the entry before it. Equal entries with equal predecessors, by induction, make
    /// logs that agree at an (index, term) identical up to it.
    private var persisted: [EntryPosition: PersistedEntry] = [:]
    /// Leader completeness: the term of the entry at every index known committed, 0
    /// where unknown, and the earliest term it was known committed in: the term of the
    /// node that saw it committed, no earlier than that of the leader that committed it.
    private var committedTerm: [UInt64] = [0]
    private var committedIn: [UInt64] = [0]
    /// State-machine safety: the entry applied at each index, and the state machine's
    /// digest after it.
    private var appliedEntry: [UInt64: Entry] = [:]
    private var digestAt: [UInt64: UInt64] = [1: 0]
    /// Leaders whose logs have been checked for completeness, by term.
    private var checkedLeaders: Set<EntryPosition> = []

    private struct EntryPosition: Hashable {
        let index: UInt64, term: UInt64
    }

    private struct PersistedEntry: Equatable {
        let entry: Entry
        /// nil when the entry before was compacted away on the node that persisted it.
        let previousTerm: UInt64?
    }

    /// The highest index known committed.
    var highestCommitted: UInt64 { UInt64(committedTerm.count - 1) }

    mutating func observeRole(of node: UInt64, status: Status) throws(SafetyViolation) {
        guard status.softState.role == .leader else { return }
        let term = status.hardState.term
        if let other = leaderOfTerm[term], other != node {
            throw SafetyViolation(description: "election safety: \(other) and \(node) both lead term \(term)")
        }
        leaderOfTerm[term] = node
    }

    /// Notes entries `node` has just appended to `storage`.
    mutating func persisted(_ entries: [Entry], by node: UInt64, in storage: MemoryStorage) throws(SafetyViolation) {
        for (offset, entry) in entries.enumerated() {
            let previous: UInt64? = offset > 0 ? entries[offset - 1].term : (try? storage.term(at: entry.index - 1))
            let position = EntryPosition(index: entry.index, term: entry.term)
            guard let known = persisted[position] else {
                persisted[position] = PersistedEntry(entry: entry, previousTerm: previous)
                continue
            }
            if known.entry != entry {
                throw SafetyViolation(description: "log matching: node \(node) has a different entry at index \(entry.index), term \(entry.term)")
            }
            if let previous, let knownPrevious = known.previousTerm, previous != knownPrevious {
                throw SafetyViolation(description: "log matching: node \(node) agrees at index \(entry.index), term \(entry.term) but has term \(previous) before it, another node \(knownPrevious)")
            }
        }
    }

    /// Notes the entries between `node`'s previously noted commit index and `commit`, as
    /// its disk now holds them; a committed entry never changes.
    mutating func committed(through commit: UInt64, inTerm term: UInt64, by node: inout SimulatedNode) throws(SafetyViolation) {
        guard commit > node.notedCommit else { return }
        let snapshot = node.storage.snapshot().metadata
        var index = node.notedCommit + 1
        if snapshot.index >= index {
            try record(committed: snapshot.index, term: snapshot.term, inTerm: term, by: node.id)
            index = snapshot.index + 1
        }
        while index <= commit {
            guard let entryTerm = try? node.storage.term(at: index) else {
                throw SafetyViolation(description: "node \(node.id) committed index \(index) it has not persisted")
            }
            try record(committed: index, term: entryTerm, inTerm: term, by: node.id)
            index += 1
        }
        node.notedCommit = commit
    }

    private mutating func record(committed index: UInt64, term: UInt64, inTerm: UInt64, by node: UInt64) throws(SafetyViolation) {
        while committedTerm.count <= index {
            committedTerm.append(0)
            committedIn.append(.max)
        }
        committedIn[Int(index)] = min(committedIn[Int(index)], inTerm)
        let known = committedTerm[Int(index)]
        if known != 0 && known != term {
            throw SafetyViolation(description: "committed entry changed: index \(index) was committed at term \(known), node \(node) committed term \(term)")
        }
        committedTerm[Int(index)] = term
    }

    /// Leader completeness: a leader's log, as persisted once it leads, holds every
    /// entry known committed in an earlier term (those its snapshot covers were
    /// checked when applied).
    mutating func checkCompleteness(ofLeader node: UInt64, term: UInt64, storage: MemoryStorage) throws(SafetyViolation) {
        guard checkedLeaders.insert(EntryPosition(index: node, term: term)).inserted else { return }
        var index = storage.firstIndex
        while index <= highestCommitted {
            let want = committedTerm[Int(index)]
            if want != 0 && committedIn[Int(index)] < term {
                let have = try? storage.term(at: index)
                if have != want {
                    throw SafetyViolation(description: "leader completeness: leader \(node) of term \(term) has \(have.map { "term \($0)" } ?? "no entry") at index \(index), committed at term \(want)")
                }
            }
            index += 1
        }
    }

    /// State-machine safety: no two nodes apply different entries at an index.
    mutating func applied(_ entry: Entry, by node: UInt64, digest: UInt64) throws(SafetyViolation) {
        if let known = appliedEntry[entry.index], known != entry {
            throw SafetyViolation(description: "state-machine safety: node \(node) applied \(entry.describe) where another applied \(known.describe)")
        }
        appliedEntry[entry.index] = entry
        try check(digest: digest, at: entry.index, by: node, what: "applying")
    }

    /// A snapshot brings a state machine to the state another reached by applying.
    mutating func restored(digest: UInt64, at index: UInt64, by node: UInt64) throws(SafetyViolation) {
        try check(digest: digest, at: index, by: node, what: "restoring a snapshot")
    }

    private mutating func check(digest: UInt64, at index: UInt64, by node: UInt64, what: String) throws(SafetyViolation) {
        if let known = digestAt[index], known != digest {
            throw SafetyViolation(description: "state-machine safety: node \(node)'s state after \(what) at index \(index) differs from another node's")
        }
        digestAt[index] = digest
    }
}
