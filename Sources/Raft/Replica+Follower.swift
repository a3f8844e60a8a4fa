import Wire

extension Replica {
    mutating func stepFollower(_ m: Message) throws(RaftError) {
        switch m.type {
        case .msgProp:
            if lead == 0 {
                logger.info("\(hex(id)) no leader at term \(term); dropping proposal")
                throw .proposalDropped
            }
            if disableProposalForwarding {
                logger.info("\(hex(id)) not forwarding to leader \(hex(lead)) at term \(term); dropping proposal")
                throw .proposalDropped
            }
            forwardToLeader(m)
        case .msgApp:
            electionElapsed = 0
            lead = m.from
            handleAppendEntries(m)
        case .msgHeartbeat:
            electionElapsed = 0
            lead = m.from
            handleHeartbeat(m)
        case .msgSnap:
            electionElapsed = 0
            lead = m.from
            handleSnapshot(m)
        case .msgTransferLeader:
            guard lead != 0 else {
                logger.info("\(hex(id)) no leader at term \(term); dropping leader transfer msg")
                return
            }
            forwardToLeader(m)
        case .msgTimeoutNow:
            if isPromotable {
                logger.info("\(hex(id)) [term \(term)] received MsgTimeoutNow from \(hex(m.from)) and starts an election to get leadership.")
                // No pre-vote: the leader asked, so no partition is being healed.
                campaign(.transfer)
            } else {
                logger.info("\(hex(id)) received MsgTimeoutNow from \(hex(m.from)) but is not promotable")
            }
        case .msgReadIndex:
            guard lead != 0 else {
                logger.info("\(hex(id)) no leader at term \(term); dropping index reading msg")
                return
            }
            forwardToLeader(m)
        case .msgReadIndexResp:
            guard m.entries.count == 1 else {
                logger.error("\(hex(id)) invalid format of MsgReadIndexResp from \(hex(m.from)), entries count: \(m.entries.count)")
                return
            }
            readStates.append(ReadState(index: m.index, requestContext: m.entries[0].bytes))
        default:
            break
        }
    }

    private mutating func forwardToLeader(_ m: Message) {
        var forwarded = m
        forwarded.to = lead
        send(forwarded)
    }

    /// Appends the leader's entries if our log matches at their predecessor; otherwise
    /// rejects, hinting our last index.
    mutating func handleAppendEntries(_ m: Message) {
        if m.index < log.committed {
            send(Message(type: .msgAppResp, to: m.from, index: log.committed))
            return
        }
        if let lastNew = log.maybeAppend(index: m.index, logTerm: m.logTerm, committed: m.commit, entries: m.entries) {
            send(Message(type: .msgAppResp, to: m.from, index: lastNew))
        } else {
            logger.debug("\(hex(id)) [logterm: \(log.termOrZero(at: m.index)), index: \(m.index)] rejected MsgApp [logterm: \(m.logTerm), index: \(m.index)] from \(hex(m.from))")
            send(Message(type: .msgAppResp, to: m.from, index: m.index, reject: true, rejectHint: log.lastIndex))
        }
    }

    mutating func handleHeartbeat(_ m: Message) {
        log.commit(to: m.commit)
        send(Message(type: .msgHeartbeatResp, to: m.from, context: m.context))
    }

    mutating func handleSnapshot(_ m: Message) {
        let index = m.snapshot.metadata.index, snapTerm = m.snapshot.metadata.term
        if restore(m.snapshot) {
            logger.info("\(hex(id)) [commit: \(log.committed)] restored snapshot [index: \(index), term: \(snapTerm)]")
            send(Message(type: .msgAppResp, to: m.from, index: log.lastIndex))
        } else {
            logger.info("\(hex(id)) [commit: \(log.committed)] ignored snapshot [index: \(index), term: \(snapTerm)]")
            send(Message(type: .msgAppResp, to: m.from, index: log.committed))
        }
    }

    /// Installs `snapshot` as the log and the configuration; false if it is not newer
    /// than the commit index, does not include this node, or only fast-forwards the
    /// commit index of a log that has it already.
    mutating func restore(_ snapshot: Snapshot) -> Bool {
        let meta = snapshot.metadata
        if meta.index <= log.committed { return false }
        if role != .follower {
            // Defense in depth; cannot happen, since a snapshot makes us follow first.
            logger.warning("\(hex(id)) attempted to restore snapshot as leader; should never happen")
            becomeFollower(term: term + 1, lead: 0)
            return false
        }
        let state = meta.confState
        guard state.voters.contains(id) || state.learners.contains(id) else {
            logger.warning("\(hex(id)) attempted to restore snapshot but it is not in the ConfState \(state.goValue); should never happen")
            return false
        }
        if log.matchTerm(meta.index, meta.term) {
            logger.info("\(hex(id)) [commit: \(log.committed), lastindex: \(log.lastIndex), lastterm: \(log.lastTerm)] fast-forwarded commit to snapshot [index: \(meta.index), term: \(meta.term)]")
            log.commit(to: meta.index)
            return false
        }
        log.restore(snapshot)
        tracker = ProgressTracker(maxInflight: tracker.maxInflight)
        do {
            switchToConfig(try changer.restore(state))
        } catch {
            fatalError("unable to restore config \(state.describe): \(error)")
        }
        let next = tracker.progress[id]!.next
        _ = tracker.progress[id]!.maybeUpdate(next - 1)
        logger.info("\(hex(id)) [commit: \(log.committed), lastindex: \(log.lastIndex), lastterm: \(log.lastTerm)] restored snapshot [index: \(meta.index), term: \(meta.term)]")
        return true
    }
}

extension ConfState {
    /// Go's `%v` of etcd's ConfState struct, for etcd's log wording.
    var goValue: String {
        func list(_ ids: [UInt64]) -> String { "[" + ids.map(String.init).joined(separator: " ") + "]" }
        return "{\(list(voters)) \(list(learners)) \(list(votersOutgoing)) \(list(learnersNext)) \(autoLeave) []}"
    }
}
