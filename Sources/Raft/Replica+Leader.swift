import Foundation
import Wire

extension Replica {
    // MARK: Replication

    /// Sends `to` an append from its next index (or a snapshot when those entries are
    /// compacted); false if nothing was sent. Without `sendIfEmpty` an append needs
    /// entries: empty ones only carry the commit index.
    @discardableResult
    mutating func maybeSendAppend(to peer: UInt64, sendIfEmpty: Bool = true) -> Bool {
        guard let pr = tracker.progress[peer], !pr.isPaused else { return false }
        var m = Message(to: peer)
        let prevTerm: UInt64?
        let entries: [Entry]?
        do { prevTerm = try log.term(at: pr.next - 1) } catch { prevTerm = nil }
        do { entries = try log.entries(from: pr.next, maxSize: maxMsgSize) } catch { entries = nil }
        if (entries ?? []).isEmpty && !sendIfEmpty { return false }

        if let prevTerm, let entries {
            m.type = .msgApp
            m.index = pr.next - 1
            m.logTerm = prevTerm
            m.entries = entries
            m.commit = log.committed
            if let last = entries.last?.index {
                switch pr.state {
                case .replicate:
                    tracker.progress[peer]!.optimisticUpdate(last)
                    tracker.progress[peer]!.inflights.add(last)
                case .probe:
                    tracker.progress[peer]!.probeSent = true
                case .snapshot:
                    logger.panic("\(hex(id)) is sending append in unhandled state \(pr.state)")
                }
            }
        } else {
            guard pr.recentActive else {
                logger.debug("ignore sending snapshot to \(hex(peer)) since it is not recently active")
                return false
            }
            let snapshot: Snapshot
            do throws(StorageError) { snapshot = try log.snapshot() } catch .snapshotTemporarilyUnavailable {
                logger.debug("\(hex(id)) failed to send snapshot to \(hex(peer)) because snapshot is temporarily unavailable")
                return false
            } catch {
                fatalError("\(error)")
            }
            precondition(snapshot.metadata.index != 0, "need non-empty snapshot")
            m.type = .msgSnap
            m.snapshot = snapshot
            logger.debug("\(hex(id)) [firstindex: \(log.firstIndex), commit: \(log.committed)] sent snapshot[index: \(snapshot.metadata.index), term: \(snapshot.metadata.term)] to \(hex(peer)) [\(pr)]")
            tracker.progress[peer]!.becomeSnapshot(snapshot.metadata.index)
            logger.debug("\(hex(id)) paused sending replication messages to \(hex(peer)) [\(tracker.progress[peer]!)]")
        }
        send(m)
        return true
    }

    /// A heartbeat carries the commit index only as far as the follower is known to
    /// match: it may not have the entries beyond.
    mutating func sendHeartbeat(to peer: UInt64, context: Data?) {
        let commit = min(tracker.progress[peer]!.match, log.committed)
        send(Message(type: .msgHeartbeat, to: peer, commit: commit, context: context))
    }

    mutating func broadcastAppend() {
        for peer in tracker.progress.ids where peer != id { maybeSendAppend(to: peer) }
    }

    mutating func broadcastHeartbeat(context: Data? = nil) {
        for peer in tracker.progress.ids where peer != id { sendHeartbeat(to: peer, context: context) }
    }

    // MARK: Stepping

    mutating func stepLeader(_ m: Message) throws(RaftError) {
        switch m.type {
        case .msgBeat:
            broadcastHeartbeat(context: readOnly.lastPendingContext.map { Data($0) })
            return
        case .msgCheckQuorum:
            checkQuorumActive()
            return
        case .msgProp:
            try propose(m)
            return
        case .msgReadIndex:
            handleReadIndex(m)
            return
        default:
            break
        }

        // Everything else comes from a member.
        guard tracker.progress[m.from] != nil else {
            logger.debug("\(hex(id)) no progress available for \(hex(m.from))")
            return
        }
        switch m.type {
        case .msgAppResp:
            handleAppendResponse(m)
        case .msgHeartbeatResp:
            handleHeartbeatResponse(m)
        case .msgSnapStatus:
            handleSnapshotStatus(m)
        case .msgUnreachable:
            // An append was likely lost: go back to probing.
            if tracker.progress[m.from]!.state == .replicate { tracker.progress[m.from]!.becomeProbe() }
            logger.debug("\(hex(id)) failed to send message to \(hex(m.from)) because it is unreachable [\(tracker.progress[m.from]!)]")
        case .msgTransferLeader:
            transferLeadership(to: m.from)
        default:
            break
        }
    }

    private mutating func checkQuorumActive() {
        // The leader counts itself active, unless it is no longer a member.
        tracker.progress[id]?.recentActive = true
        if !tracker.isQuorumActive {
            logger.warning("\(hex(id)) stepped down to follower since quorum is not active")
            becomeFollower(term: term, lead: 0)
        }
        for peer in tracker.progress.ids where peer != id {
            tracker.progress[peer]!.recentActive = false
        }
    }

    /// Appends proposed entries. A conf change is replaced by an empty entry when
    /// another is pending or it does not fit the joint state.
    private mutating func propose(_ m: Message) throws(RaftError) {
        if m.entries.isEmpty { logger.panic("\(hex(id)) stepped empty MsgProp") }
        // A leader removed from the configuration takes no proposals.
        guard tracker.progress[id] != nil else { throw .proposalDropped }
        if leadTransferee != 0 {
            logger.debug("\(hex(id)) [term \(term)] transfer leadership to \(hex(leadTransferee)) is in progress; dropping proposal")
            throw .proposalDropped
        }
        var entries = m.entries
        for i in entries.indices {
            guard let change = entries[i].confChange else { continue }
            let alreadyPending = pendingConfIndex > log.applied
            let alreadyJoint = tracker.config.voters.isJoint
            let wantsLeaveJoint = change.changes.isEmpty
            let refusal: String? =
                if alreadyPending { "possible unapplied conf change at index \(pendingConfIndex) (applied to \(log.applied))" }
                else if alreadyJoint && !wantsLeaveJoint { "must transition out of joint config first" }
                else if !alreadyJoint && wantsLeaveJoint { "not in joint state; refusing empty conf change" }
                else { nil }
            if let refusal {
                logger.info("\(hex(id)) ignoring conf change \(entries[i].confChangeGoValue) at config \(tracker.config): \(refusal)")
                entries[i] = Entry(type: .entryNormal)
            } else {
                pendingConfIndex = log.lastIndex + UInt64(i) + 1
            }
        }
        guard appendEntries(entries) else { throw .proposalDropped }
        broadcastAppend()
    }

    private mutating func handleAppendResponse(_ m: Message) {
        tracker.progress[m.from]!.recentActive = true
        if m.reject {
            logger.debug("\(hex(id)) received MsgAppResp(MsgApp was rejected, lastindex: \(m.rejectHint)) from \(hex(m.from)) for index \(m.index)")
            if tracker.progress[m.from]!.maybeDecrease(rejected: m.index, hint: m.rejectHint) {
                logger.debug("\(hex(id)) decreased progress of \(hex(m.from)) to [\(tracker.progress[m.from]!)]")
                if tracker.progress[m.from]!.state == .replicate { tracker.progress[m.from]!.becomeProbe() }
                maybeSendAppend(to: m.from)
            }
            return
        }
        let wasPaused = tracker.progress[m.from]!.isPaused
        guard tracker.progress[m.from]!.maybeUpdate(m.index) else { return }
        let pr = tracker.progress[m.from]!
        switch pr.state {
        case .probe:
            tracker.progress[m.from]!.becomeReplicate()
        case .snapshot where pr.match >= pr.pendingSnapshot:
            logger.debug("\(hex(id)) recovered from needing snapshot, resumed sending replication messages to \(hex(m.from)) [\(pr)]")
            // Through probing, which starts after the snapshot, so the status is
            // right at once rather than at the next round of appends.
            tracker.progress[m.from]!.becomeProbe()
            tracker.progress[m.from]!.becomeReplicate()
        case .replicate:
            tracker.progress[m.from]!.inflights.free(upTo: m.index)
        case .snapshot:
            break
        }
        if maybeCommit() {
            releasePendingReadIndexMessages()
            broadcastAppend()
        } else if wasPaused {
            // It may have missed the commit index while paused.
            maybeSendAppend(to: m.from)
        }
        // The window may now allow more appends; send them, but no empty ones.
        while maybeSendAppend(to: m.from, sendIfEmpty: false) {}
        if m.from == leadTransferee && tracker.progress[m.from]!.match == log.lastIndex {
            logger.info("\(hex(id)) sent MsgTimeoutNow to \(hex(m.from)) after received MsgAppResp")
            send(Message(type: .msgTimeoutNow, to: m.from))
        }
    }

    private mutating func handleHeartbeatResponse(_ m: Message) {
        tracker.progress[m.from]!.recentActive = true
        tracker.progress[m.from]!.probeSent = false
        // Free one slot of a full window so replication can move again.
        if tracker.progress[m.from]!.state == .replicate && tracker.progress[m.from]!.inflights.isFull {
            tracker.progress[m.from]!.inflights.freeFirst()
        }
        if tracker.progress[m.from]!.match < log.lastIndex { maybeSendAppend(to: m.from) }
        guard readOnly.option == .safe, let context = m.context, !context.isEmpty else { return }
        guard let acks = readOnly.receiveAck(from: m.from, context: [UInt8](context)),
              tracker.config.voters.voteResult(Dictionary(uniqueKeysWithValues: acks.map { ($0, true) })) == .won
        else { return }
        for confirmed in readOnly.advance(through: [UInt8](context)) {
            answerReadIndex(confirmed.request, index: confirmed.index)
        }
    }

    private mutating func handleSnapshotStatus(_ m: Message) {
        guard tracker.progress[m.from]!.state == .snapshot else { return }
        if m.reject {
            // Forget the snapshot first, or probing would start after it.
            tracker.progress[m.from]!.pendingSnapshot = 0
            tracker.progress[m.from]!.becomeProbe()
            logger.debug("\(hex(id)) snapshot failed, resumed sending replication messages to \(hex(m.from)) [\(tracker.progress[m.from]!)]")
        } else {
            tracker.progress[m.from]!.becomeProbe()
            logger.debug("\(hex(id)) snapshot succeeded, resumed sending replication messages to \(hex(m.from)) [\(tracker.progress[m.from]!)]")
        }
        // Wait for the follower's answer (or a heartbeat) before the next append.
        tracker.progress[m.from]!.probeSent = true
    }

    private mutating func transferLeadership(to transferee: UInt64) {
        if tracker.progress[transferee]!.isLearner {
            logger.debug("\(hex(id)) is learner. Ignored transferring leadership")
            return
        }
        if leadTransferee != 0 {
            if leadTransferee == transferee {
                logger.info("\(hex(id)) [term \(term)] transfer leadership to \(hex(transferee)) is in progress, ignores request to same node \(hex(transferee))")
                return
            }
            let previous = leadTransferee
            leadTransferee = 0
            logger.info("\(hex(id)) [term \(term)] abort previous transferring leadership to \(hex(previous))")
        }
        if transferee == id {
            logger.debug("\(hex(id)) is already leader. Ignored transferring leadership to self")
            return
        }
        logger.info("\(hex(id)) [term \(term)] starts to transfer leadership to \(hex(transferee))")
        // The transfer must finish within an election timeout.
        electionElapsed = 0
        leadTransferee = transferee
        if tracker.progress[transferee]!.match == log.lastIndex {
            send(Message(type: .msgTimeoutNow, to: transferee))
            logger.info("\(hex(id)) sends MsgTimeoutNow to \(hex(transferee)) immediately as \(hex(transferee)) already has up-to-date log")
        } else {
            maybeSendAppend(to: transferee)
        }
    }
}

extension Entry {
    /// The conf change as Go's `%v` prints etcd's struct, for etcd's log wording.
    var confChangeGoValue: String {
        func bytes(_ data: Data?) -> String { "[" + (data.map { $0.map(String.init).joined(separator: " ") } ?? "") + "]" }
        if type == .entryConfChange, let change = try? ConfChange(serializedBytes: self.bytes) {
            return "{\(change.type) \(change.nodeID) \(bytes(change.context)) \(change.id) []}"
        }
        guard let change = confChange else { return "<nil>" }
        let singles = change.changes.map { "{\($0.type) \($0.nodeID) []}" }.joined(separator: " ")
        return "{\(change.transition) [\(singles)] \(bytes(change.context)) []}"
    }

    /// The conf change this entry carries, as a ConfChangeV2; nil for a normal entry.
    var confChange: ConfChangeV2? {
        switch type {
        case .entryConfChange:
            guard let change = try? ConfChange(serializedBytes: bytes) else { return nil }
            return change.asV2
        case .entryConfChangeV2:
            return try? ConfChangeV2(serializedBytes: bytes)
        default:
            return nil
        }
    }
}
