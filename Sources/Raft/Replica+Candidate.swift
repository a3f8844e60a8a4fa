import Wire

extension Replica {
    /// Candidates and pre-candidates: count votes, and follow a leader of this term.
    mutating func stepCandidate(_ m: Message) throws(RaftError) {
        // Only answers to this candidacy count: a candidate may still get pre-vote
        // answers from its pre-candidate round.
        let ownResponse: MessageType = role == .preCandidate ? .msgPreVoteResp : .msgVoteResp
        switch m.type {
        case .msgProp:
            logger.info("\(hex(id)) no leader at term \(term); dropping proposal")
            throw .proposalDropped
        case .msgApp:
            becomeFollower(term: m.term, lead: m.from)
            handleAppendEntries(m)
        case .msgHeartbeat:
            becomeFollower(term: m.term, lead: m.from)
            handleHeartbeat(m)
        case .msgSnap:
            becomeFollower(term: m.term, lead: m.from)
            handleSnapshot(m)
        case ownResponse:
            let (granted, rejected, result) = poll(m.from, m.type, granted: !m.reject)
            logger.info("\(hex(id)) has received \(granted) \(m.type) votes and \(rejected) vote rejections")
            switch result {
            case .won:
                if role == .preCandidate {
                    campaign(.election)
                } else {
                    becomeLeader()
                    broadcastAppend()
                }
            case .lost:
                // A pre-vote answer carries a future term: stay in ours.
                becomeFollower(term: term, lead: 0)
            case .pending:
                break
            }
        case .msgTimeoutNow:
            logger.debug("\(hex(id)) [term \(term) state \(role)] ignored MsgTimeoutNow from \(hex(m.from))")
        default:
            break
        }
    }
}
