import KV
import NIOCore
import Wire

/// etcd's space quota on a member: a write that would take the database past
/// --quota-backend-bytes is refused before it is proposed, and the member raises the NOSPACE
/// alarm through raft (etcd's quotaKVServer and quotaLeaseServer); while the alarm is raised
/// the state machine refuses every such write (etcd's capped applier) until `alarm disarm`.
extension RaftNode {
    /// The refusal of a request that does not fit the quota, once this member's alarm is
    /// raised; nil when it fits. On the loop.
    func refusalOverQuota(_ request: InternalRaftRequest) -> EventLoopFuture<KVResponse>? {
        guard !kv.fitsQuota(request) else { return nil }
        return raiseNoSpace().flatMapThrowing { _ in throw ServerError.kv(.noSpace) }
    }

    /// Proposes this member's NOSPACE alarm; completes when it is applied or has failed (the
    /// refusal stands either way, as etcd's). On the loop.
    func raiseNoSpace() -> EventLoopFuture<Void> {
        let alarm = AlarmRequest(action: .activate, memberID: options.memberID, alarm: .nospace)
        return propose(InternalRaftRequest(alarm: alarm)).map { _ in }.recover { _ in }
    }

    /// Whether a NOSPACE alarm is raised, by any member.
    var noSpaceRaised: Bool { kv.alarms.contains { $0.alarm == .nospace } }
}

extension AlarmMember {
    /// etcd's String() of an alarm (gogoproto's compact text), as `Status` lists it among its
    /// errors: `memberID:9372538179322589801 alarm:NOSPACE `.
    var text: String {
        var out = ""
        if memberID != 0 { out += "memberID:\(memberID) " }
        if alarm != .none { out += "alarm:\(alarm.name ?? String(alarm.rawValue)) " }
        return out
    }
}
