import Foundation
import Wire

/// The raft state machine of one node: term, vote, log, role and, when leading, the
/// progress of every follower (etcd's `raft` struct). Deterministic: it changes only when
/// stepped or ticked, and queues outgoing messages in `messages`.
struct Replica {
    let id: UInt64
    var term: UInt64 = 0
    var vote: UInt64 = 0
    var log: RaftLog
    var tracker: ProgressTracker
    var role = Role.follower
    /// Whether this node is a learner in its own configuration.
    var isLearner = false
    /// Outgoing messages, handed out by the next Ready.
    var messages: [Message] = []
    var readStates: [ReadState] = []
    var lead: UInt64 = 0
    /// The node leadership is being transferred to, 0 when none.
    var leadTransferee: UInt64 = 0
    /// At least the index of the latest conf change in the log; a new one is refused
    /// until this is applied.
    var pendingConfIndex: UInt64 = 0
    /// Payload bytes of the uncommitted tail of a leader's log.
    var uncommittedSize: UInt64 = 0
    var readOnly: ReadOnly
    /// Read-index requests held until this leader commits an entry of its term.
    var pendingReadIndexMessages: [Message] = []
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0

    let maxMsgSize: UInt64
    let maxUncommittedSize: UInt64
    let electionTimeout: Int
    let heartbeatTimeout: Int
    let checkQuorum: Bool
    let preVote: Bool
    let disableProposalForwarding: Bool
    var random: any RandomNumberGenerator
    let logger: Logging

    init(config: RaftConfig) throws {
        try config.validate()
        logger = Logging(logger: config.logger)
        id = config.id
        maxMsgSize = config.maxSizePerMsg
        maxUncommittedSize = config.maxUncommittedEntriesSize == 0 ? .max : config.maxUncommittedEntriesSize
        electionTimeout = config.electionTick
        heartbeatTimeout = config.heartbeatTick
        checkQuorum = config.checkQuorum
        preVote = config.preVote
        disableProposalForwarding = config.disableProposalForwarding
        random = config.random
        readOnly = ReadOnly(option: config.readOnlyOption)
        tracker = ProgressTracker(maxInflight: config.maxInflightMsgs)
        log = RaftLog(storage: config.storage,
                      maxNextEntriesSize: config.maxCommittedSizePerReady == 0 ? config.maxSizePerMsg : config.maxCommittedSizePerReady,
                      logger: logger)

        let (hardState, confState) = try config.storage.initialState()
        let restored = try changer.restore(confState)
        switchToConfig(restored)
        if hardState != HardState() { try load(hardState) }
        if config.applied > 0 { log.applied(to: config.applied) }
        becomeFollower(term: term, lead: 0)
        logger.info("newRaft \(hex(id)) [peers: [\(tracker.voterIDs.map(hex).joined(separator: ","))], term: \(term), commit: \(log.committed), applied: \(log.applied), lastindex: \(log.lastIndex), lastterm: \(log.lastTerm)]")
    }

    /// A hard state whose commit index lies outside the log.
    struct CommitOutOfRange: Error, CustomStringConvertible {
        let id: UInt64, commit: UInt64, low: UInt64, high: UInt64
        var description: String { "\(hex(id)) state.commit \(commit) is out of range [\(low), \(high)]" }
    }

    private mutating func load(_ state: HardState) throws(CommitOutOfRange) {
        if state.commit < log.committed || state.commit > log.lastIndex {
            throw CommitOutOfRange(id: id, commit: state.commit, low: log.committed, high: log.lastIndex)
        }
        log.committed = state.commit
        term = state.term
        vote = state.vote
    }

    var softState: SoftState { SoftState(lead: lead, role: role) }

    var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }

    /// A conf changer starting from the current membership.
    var changer: ConfChanger {
        ConfChanger(config: tracker.config, progress: tracker.progress,
                    maxInflight: tracker.maxInflight, lastIndex: log.lastIndex)
    }

    /// Whether this node may campaign: it is a voter of its configuration.
    var isPromotable: Bool {
        guard let pr = tracker.progress[id] else { return false }
        return !pr.isLearner
    }

    // MARK: Sending

    /// Queues `message` from this node. Vote traffic carries the term it is set with;
    /// everything else gets the current term, except proposals and read-index
    /// requests, which are forwarded like local messages.
    mutating func send(_ message: Message) {
        var m = message
        m.from = id
        switch m.type {
        case .msgVote, .msgVoteResp, .msgPreVote, .msgPreVoteResp:
            precondition(m.term != 0, "term should be set when sending \(m.type)")
        default:
            precondition(m.term == 0, "term should not be set when sending \(m.type) (was \(m.term))")
            if m.type != .msgProp && m.type != .msgReadIndex { m.term = term }
        }
        messages.append(m)
    }

    // MARK: Roles

    /// Starts `newTerm` (forgetting the vote if the term changes) with no leader,
    /// fresh timers and fresh progress for every member.
    mutating func reset(term newTerm: UInt64) {
        if term != newTerm {
            term = newTerm
            vote = 0
        }
        lead = 0
        electionElapsed = 0
        heartbeatElapsed = 0
        resetRandomizedElectionTimeout()
        leadTransferee = 0
        tracker.resetVotes()
        let last = log.lastIndex
        for peer in tracker.progress.ids {
            let isLearner = tracker.progress[peer]!.isLearner
            tracker.progress[peer] = Progress(match: peer == id ? last : 0, next: last + 1,
                                              maxInflight: tracker.maxInflight, isLearner: isLearner)
        }
        pendingConfIndex = 0
        uncommittedSize = 0
        readOnly = ReadOnly(option: readOnly.option)
    }

    mutating func resetRandomizedElectionTimeout() {
        randomizedElectionTimeout = electionTimeout + Int(random.next(upperBound: UInt64(electionTimeout)))
    }

    mutating func becomeFollower(term newTerm: UInt64, lead newLead: UInt64) {
        reset(term: newTerm)
        lead = newLead
        role = .follower
        logger.info("\(hex(id)) became follower at term \(term)")
    }

    mutating func becomeCandidate() {
        precondition(role != .leader, "invalid transition [leader -> candidate]")
        reset(term: term + 1)
        vote = id
        role = .candidate
        logger.info("\(hex(id)) became candidate at term \(term)")
    }

    /// Enters the pre-vote round: neither the term nor the vote changes.
    mutating func becomePreCandidate() {
        precondition(role != .leader, "invalid transition [leader -> pre-candidate]")
        tracker.resetVotes()
        lead = 0
        role = .preCandidate
        logger.info("\(hex(id)) became pre-candidate at term \(term)")
    }

    mutating func becomeLeader() {
        precondition(role != .follower, "invalid transition [follower -> leader]")
        reset(term: term)
        lead = id
        role = .leader
        tracker.progress[id]?.becomeReplicate()
        // Any conf change may still be pending in the log: refuse new ones until
        // everything up to here is applied.
        pendingConfIndex = log.lastIndex
        let empty = Entry()
        if !appendEntries([empty]) { logger.panic("empty entry was dropped") }
        // The empty entry does not count towards the uncommitted quota.
        reduceUncommittedSize([empty])
        logger.info("\(hex(id)) became leader at term \(term)")
    }

    // MARK: Ticks

    mutating func tick() {
        if role == .leader { tickHeartbeat() } else { tickElection() }
    }

    /// Followers and candidates campaign once the randomized election timeout passes.
    private mutating func tickElection() {
        electionElapsed += 1
        if isPromotable && electionElapsed >= randomizedElectionTimeout {
            electionElapsed = 0
            _ = try? step(Message(type: .msgHup, from: id))
        }
    }

    private mutating func tickHeartbeat() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= electionTimeout {
            electionElapsed = 0
            if checkQuorum { _ = try? step(Message(type: .msgCheckQuorum, from: id)) }
            // A transfer that did not finish within an election timeout is abandoned.
            if role == .leader && leadTransferee != 0 { leadTransferee = 0 }
        }
        guard role == .leader else { return }
        if heartbeatElapsed >= heartbeatTimeout {
            heartbeatElapsed = 0
            _ = try? step(Message(type: .msgBeat, from: id))
        }
    }

    // MARK: Log

    /// Appends entries at the current term after the last index; false if the
    /// uncommitted-size limit refuses them.
    mutating func appendEntries(_ entries: [Entry]) -> Bool {
        var entries = entries
        let last = log.lastIndex
        for i in entries.indices {
            entries[i].term = term
            entries[i].index = last + 1 + UInt64(i)
        }
        guard increaseUncommittedSize(entries) else {
            logger.debug("\(hex(id)) appending new entries to log would exceed uncommitted entry size limit; dropping proposal")
            return false
        }
        let newLast = log.append(entries)
        _ = tracker.progress[id]?.maybeUpdate(newLast)
        _ = maybeCommit()
        return true
    }

    /// Commits what a quorum has replicated, if of the current term.
    mutating func maybeCommit() -> Bool {
        log.maybeCommit(tracker.committed, term: term)
    }

    private mutating func increaseUncommittedSize(_ entries: [Entry]) -> Bool {
        let size = entries.reduce(UInt64(0)) { $0 + UInt64($1.payloadSize) }
        // An empty tail accepts any proposal, however large.
        if uncommittedSize > 0 && uncommittedSize + size > maxUncommittedSize { return false }
        uncommittedSize += size
        return true
    }

    mutating func reduceUncommittedSize(_ entries: [Entry]) {
        guard uncommittedSize > 0 else { return }
        let size = entries.reduce(UInt64(0)) { $0 + UInt64($1.payloadSize) }
        uncommittedSize = size > uncommittedSize ? 0 : uncommittedSize - size
    }

    /// Takes in what the application has handled from a Ready.
    mutating func advance(_ ready: Ready) {
        if let index = ready.appliedCursor {
            log.applied(to: index)
            if tracker.config.autoLeave && index >= pendingConfIndex && role == .leader {
                leaveJointAutomatically()
            }
        }
        reduceUncommittedSize(ready.committedEntries)
        if let last = ready.entries.last { log.stable(to: last.index, term: last.term) }
        if let snapshot = ready.snapshot { log.stableSnapshot(to: snapshot.metadata.index) }
    }

    /// Proposes leaving the joint configuration, now applied, that asked to be left
    /// automatically.
    private mutating func leaveJointAutomatically() {
        let leave = Entry(type: .entryConfChangeV2, data: ConfChangeV2().serializedData())
        if appendEntries([leave]) {
            logger.info("initiating automatic transition out of joint configuration \(tracker.config)")
        } else {
            // Retry on a later advance.
            pendingConfIndex = log.lastIndex
        }
    }
}
