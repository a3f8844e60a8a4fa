import Foundation
import NIOCore
import Raft

/// etcd's checks before proposing a membership change: with --strict-reconfig-check, a
/// change must leave a quorum of started members (members that published their name), and
/// this member must have been connected to the voters for `healthInterval`; a learner is
/// promoted only once it holds 90% of the leader's log.
struct ReconfigurationChecks {
    let node: MemberLoop
    let strict: Bool
    /// etcd's HealthInterval.
    static let healthInterval: TimeInterval = 5
    /// etcd's readyPercent.
    static let learnerReadyFraction = 0.9

    func mayAdd(_ member: ClusterMember) -> EventLoopFuture<Void> {
        node.eventLoop.flatSubmit { [node, strict] in
            guard strict else { return node.eventLoop.makeSucceededVoidFuture() }
            let voters = node.membership.sorted.filter { !$0.isLearner }
            let started = voters.filter { !$0.name.isEmpty }.count
            let total = voters.count + 1
            // A learner takes no vote; etcd lets a second member join a one-member cluster
            // (restoring from a backup).
            if !member.isLearner, !(started == 1 && total == 2), started < total / 2 + 1 {
                return node.eventLoop.makeFailedFuture(ServerError.membership(.notEnoughStartedMembers))
            }
            return activeSince(voters.map(\.id)).flatMapThrowing { active in
                guard active.count == voters.count else { throw ServerError.membership(.unhealthy) }
            }
        }
    }

    func mayRemove(_ id: UInt64) -> EventLoopFuture<Void> {
        node.eventLoop.flatSubmit { [node, strict] in
            guard strict, let member = node.membership.members[id], !member.isLearner else {
                return node.eventLoop.makeSucceededVoidFuture()
            }
            let voters = node.membership.sorted.filter { !$0.isLearner }
            let others = voters.filter { $0.id != id }
            if others.filter({ !$0.name.isEmpty }).count < others.count / 2 + 1 {
                return node.eventLoop.makeFailedFuture(ServerError.membership(.notEnoughStartedMembers))
            }
            return activeSince(voters.map(\.id)).flatMapThrowing { active in
                // A member this one is not connected to may go: it takes no active vote along.
                guard id == node.options.memberID || active.contains(id) else { return }
                if active.count - 1 < 1 + (voters.count - 1) / 2 { throw ServerError.membership(.unhealthy) }
            }
        }
    }

    /// On the leader's loop.
    func mayPromote(_ id: UInt64) -> EventLoopFuture<Void> {
        let status = node.raw.status
        if let progress = status.progress, let learner = progress[id], let own = progress[status.id],
           Double(learner.match) < Double(own.match) * Self.learnerReadyFraction {
            return node.eventLoop.makeFailedFuture(ServerError.membership(.learnerNotReady))
        }
        guard strict else { return node.eventLoop.makeSucceededVoidFuture() }
        let voters = node.membership.sorted.filter { !$0.isLearner }
        if voters.filter({ !$0.name.isEmpty }).count < (voters.count + 1) / 2 + 1 {
            return node.eventLoop.makeFailedFuture(ServerError.membership(.notEnoughStartedMembers))
        }
        return node.eventLoop.makeSucceededVoidFuture()
    }

    /// The members among `ids` connected to this one for at least `healthInterval`, this
    /// member counted as always connected.
    private func activeSince(_ ids: [UInt64]) -> EventLoopFuture<Set<UInt64>> {
        let own = node.options.memberID
        guard let transport = node.transport else { return node.eventLoop.makeSucceededFuture([own]) }
        let cutoff = Date().addingTimeInterval(-Self.healthInterval)
        let peers = ids.filter { $0 != own }
        return EventLoopFuture.whenAllSucceed(peers.map { transport.peerStatus(id: $0) }, on: node.eventLoop).map { statuses in
            var active: Set<UInt64> = ids.contains(own) ? [own] : []
            for (id, status) in zip(peers, statuses) where status.active && (status.since ?? Date()) <= cutoff { active.insert(id) }
            return active
        }
    }
}
