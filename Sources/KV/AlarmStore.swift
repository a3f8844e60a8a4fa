import Wire

/// etcd's alarm store (etcdserver/api/v3alarm): which member raised which alarm. Changed only
/// by committed AlarmRequests, so every member holds the same; kept in the KV snapshot as
/// etcd keeps it in its backend. Listed in (alarm, member) order, where etcd's map order is
/// random.
public struct AlarmStore: Hashable, Sendable {
    private(set) var raised: [AlarmMember] = []

    /// The alarms of `type`, every alarm for `.none`.
    public func get(_ type: AlarmType) -> [AlarmMember] {
        type == .none ? raised : raised.filter { $0.alarm == type }
    }

    public func isRaised(_ type: AlarmType) -> Bool { raised.contains { $0.alarm == type } }

    /// etcd's applier Alarm: GET lists, ACTIVATE adds (or finds) the member's alarm, DEACTIVATE
    /// removes it; the response holds what was listed, added or removed, and no header. An
    /// unknown action answers nothing, as etcd's does.
    mutating func apply(_ request: AlarmRequest) -> AlarmResponse {
        let member = AlarmMember(memberID: request.memberID, alarm: request.alarm)
        switch request.action {
        case .get:
            return AlarmResponse(alarms: get(request.alarm))
        case .activate:
            if !raised.contains(member) {
                raised.append(member)
                raised.sort { ($0.alarm.rawValue, $0.memberID) < ($1.alarm.rawValue, $1.memberID) }
            }
            return AlarmResponse(alarms: [member])
        case .deactivate:
            guard let index = raised.firstIndex(of: member) else { return AlarmResponse() }
            raised.remove(at: index)
            return AlarmResponse(alarms: [member])
        default:
            return AlarmResponse()
        }
    }

    /// Replaces the alarms with a snapshot's.
    mutating func restore(_ alarms: [AlarmMember]) {
        raised = []
        for alarm in alarms { _ = apply(AlarmRequest(action: .activate, memberID: alarm.memberID, alarm: alarm.alarm)) }
    }
}
