import KV
import NIOCore
import Wire

/// etcd's space quota on a member: a write that would take the database past
/// --quota-backend-bytes is refused before it is proposed, and the member raises the NOSPACE
/// alarm through raft (etcd's quotaKVServer and quotaLeaseServer); while the alarm is raised
/// the state machine refuses every such write (etcd's capped applier) until `alarm disarm`.
extension MemberLoop {
    /// Proposes this member's NOSPACE alarm; `then` runs on the loop when it is applied or
    /// has failed (a refusal stands either way, as etcd's).
    func raiseNoSpace(then: @escaping @Sendable () -> Void) {
        propose(AlarmRequest(action: .activate, memberID: options.memberID, alarm: .nospace)) { _ in then() }
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
