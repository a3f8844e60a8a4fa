/// The membership with each member's progress and the votes of the current election
/// (etcd's tracker.ProgressTracker).
struct ProgressTracker {
    var config = TrackerConfig()
    var progress = ProgressMap()
    var votes: [UInt64: Bool] = [:]
    let maxInflight: Int

    init(maxInflight: Int) { self.maxInflight = maxInflight }

    /// A single voter and no one joining or leaving.
    var isSingleton: Bool { config.voters.incoming.count == 1 && !config.voters.isJoint }

    /// The highest index replicated on a quorum of voters.
    var committed: UInt64 {
        config.voters.committedIndex { progress[$0]?.match }
    }

    /// Whether a quorum of voters was heard from recently.
    var isQuorumActive: Bool {
        var active: [UInt64: Bool] = [:]
        for id in progress.ids {
            let pr = progress[id]!
            if !pr.isLearner { active[id] = pr.recentActive }
        }
        return config.voters.voteResult(active) == .won
    }

    var voterIDs: [UInt64] { config.voters.ids.sorted() }

    mutating func resetVotes() { votes = [:] }

    /// Records `id`'s vote; a node's first vote in an election is the one that counts.
    mutating func recordVote(_ id: UInt64, granted: Bool) {
        if votes[id] == nil { votes[id] = granted }
    }

    func tallyVotes() -> (granted: Int, rejected: Int, result: VoteResult) {
        var granted = 0, rejected = 0
        for id in progress.ids where !progress[id]!.isLearner {
            switch votes[id] {
            case true?: granted += 1
            case false?: rejected += 1
            case nil: break
            }
        }
        return (granted, rejected, config.voters.voteResult(votes))
    }
}
