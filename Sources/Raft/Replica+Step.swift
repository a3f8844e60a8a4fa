import Foundation
import Wire

/// How an election is started.
enum CampaignKind {
    /// The pre-vote round: asks whether it could win, without raising the term.
    case preElection
    case election
    /// Asked to by the leader (MsgTimeoutNow): voters grant it even within a lease.
    case transfer

    /// The context that marks vote requests of a leadership transfer.
    static let transferContext = Data("CampaignTransfer".utf8)
}

extension Replica {
    /// Takes one message, local or from a peer: first the term rules, then the message
    /// by role.
    mutating func step(_ m: Message) throws(RaftError) {
        if m.term == 0 {
            // A local message.
        } else if m.term > term {
            if m.type == .msgVote || m.type == .msgPreVote {
                let force = m.context == CampaignKind.transferContext
                let inLease = checkQuorum && lead != 0 && electionElapsed < electionTimeout
                if !force && inLease {
                    // Heard from a leader within the minimum election timeout: keep the
                    // term and do not vote.
                    logger.info("\(hex(id)) [logterm: \(log.lastTerm), index: \(log.lastIndex), vote: \(hex(vote))] ignored \(m.type) from \(hex(m.from)) [logterm: \(m.logTerm), index: \(m.index)] at term \(term): lease is not expired (remaining ticks: \(electionTimeout - electionElapsed))")
                    return
                }
            }
            switch m.type {
            case .msgPreVote:
                break  // A pre-vote never changes our term.
            case .msgPreVoteResp where !m.reject:
                break  // The future term we asked for; we raise it on winning.
            default:
                logger.info("\(hex(id)) [term: \(term)] received a \(m.type) message with higher term from \(hex(m.from)) [term: \(m.term)]")
                let fromLeader = m.type == .msgApp || m.type == .msgHeartbeat || m.type == .msgSnap
                becomeFollower(term: m.term, lead: fromLeader ? m.from : 0)
            }
        } else if m.term < term {
            if (checkQuorum || preVote) && (m.type == .msgHeartbeat || m.type == .msgApp) {
                // A stale leader, or we moved on while partitioned: answering with our term
                // lets a leader that cannot reach us otherwise learn it must step down.
                send(Message(type: .msgAppResp, to: m.from))
            } else if m.type == .msgPreVote {
                logger.info("\(hex(id)) [logterm: \(log.lastTerm), index: \(log.lastIndex), vote: \(hex(vote))] rejected \(m.type) from \(hex(m.from)) [logterm: \(m.logTerm), index: \(m.index)] at term \(term)")
                send(Message(type: .msgPreVoteResp, to: m.from, term: term, reject: true))
            } else {
                logger.info("\(hex(id)) [term: \(term)] ignored a \(m.type) message with lower term from \(hex(m.from)) [term: \(m.term)]")
            }
            return
        }

        switch m.type {
        case .msgHup:
            hup()
        case .msgVote, .msgPreVote:
            handleVoteRequest(m)
        default:
            switch role {
            case .leader: try stepLeader(m)
            case .candidate, .preCandidate: try stepCandidate(m)
            case .follower: try stepFollower(m)
            }
        }
    }

    /// Starts an election unless leading, unable to, or a conf change awaits applying.
    private mutating func hup() {
        guard role != .leader else {
            logger.debug("\(hex(id)) ignoring MsgHup because already leader")
            return
        }
        guard isPromotable else {
            logger.warning("\(hex(id)) is unpromotable and can not campaign; ignoring MsgHup")
            return
        }
        var unapplied: [Entry] = []
        do { unapplied = try log.slice((log.applied + 1)..<(log.committed + 1), maxSize: .max) } catch {
            logger.panic("unexpected error getting unapplied entries (\(error))")
        }
        // As etcd 3.4 does, only v1 conf changes hold an election back.
        let pending = unapplied.count(where: { $0.type == .entryConfChange })
        if pending != 0 && log.committed > log.applied {
            logger.warning("\(hex(id)) cannot campaign at term \(term) since there are still \(pending) pending configuration changes to apply")
            return
        }
        logger.info("\(hex(id)) is starting a new election at term \(term)")
        campaign(preVote ? .preElection : .election)
    }

    /// Becomes (pre-)candidate, votes for itself and asks every other voter.
    mutating func campaign(_ kind: CampaignKind) {
        if !isPromotable {
            logger.warning("\(hex(id)) is unpromotable; campaign() should have been called")
        }
        let voteType: MessageType
        let voteTerm: UInt64
        if kind == .preElection {
            becomePreCandidate()
            voteType = .msgPreVote
            voteTerm = term + 1  // Pre-votes ask about the term we would campaign in.
        } else {
            becomeCandidate()
            voteType = .msgVote
            voteTerm = term
        }
        if poll(id, Replica.responseType(of: voteType), granted: true).result == .won {
            // A cluster of one: we won already.
            if kind == .preElection { campaign(.election) } else { becomeLeader() }
            return
        }
        for voter in tracker.voterIDs where voter != id {
            logger.info("\(hex(id)) [logterm: \(log.lastTerm), index: \(log.lastIndex)] sent \(voteType) request to \(hex(voter)) at term \(term)")
            send(Message(type: voteType, to: voter, term: voteTerm, logTerm: log.lastTerm, index: log.lastIndex,
                         context: kind == .transfer ? CampaignKind.transferContext : nil))
        }
    }

    static func responseType(of voteType: MessageType) -> MessageType {
        voteType == .msgVote ? .msgVoteResp : .msgPreVoteResp
    }

    mutating func poll(_ from: UInt64, _ type: MessageType, granted: Bool) -> (granted: Int, rejected: Int, result: VoteResult) {
        if granted {
            logger.info("\(hex(id)) received \(type) from \(hex(from)) at term \(term)")
        } else {
            logger.info("\(hex(id)) received \(type) rejection from \(hex(from)) at term \(term)")
        }
        tracker.recordVote(from, granted: granted)
        return tracker.tallyVotes()
    }

    /// Grants a vote to an up-to-date candidate if we have not voted for another in this
    /// term (or if it is a pre-vote for a later term). Learners vote too: a candidate
    /// asking one knows it as a voter through a config the learner has not seen yet.
    private mutating func handleVoteRequest(_ m: Message) {
        let canVote = vote == m.from || (vote == 0 && lead == 0) || (m.type == .msgPreVote && m.term > term)
        if canVote && log.isUpToDate(lastIndex: m.index, term: m.logTerm) {
            logger.info("\(hex(id)) [logterm: \(log.lastTerm), index: \(log.lastIndex), vote: \(hex(vote))] cast \(m.type) for \(hex(m.from)) [logterm: \(m.logTerm), index: \(m.index)] at term \(term)")
            // Answer with the message's term: for a pre-vote ours may be older, and the
            // candidate ignores answers from older terms.
            send(Message(type: Replica.responseType(of: m.type), to: m.from, term: m.term))
            if m.type == .msgVote {
                electionElapsed = 0
                vote = m.from
            }
        } else {
            logger.info("\(hex(id)) [logterm: \(log.lastTerm), index: \(log.lastIndex), vote: \(hex(vote))] rejected \(m.type) from \(hex(m.from)) [logterm: \(m.logTerm), index: \(m.index)] at term \(term)")
            send(Message(type: Replica.responseType(of: m.type), to: m.from, term: term, reject: true))
        }
    }
}
