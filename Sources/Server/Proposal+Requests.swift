import KV
import Wire

// Each request the services propose, tied to its place in InternalRaftRequest and to its
// answer among the state machine's.

extension PutRequest: KVProposal {
    typealias Response = PutResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(put: self) }
    static func response(in applied: KVResponse) -> PutResponse? { if case .put(let r) = applied { r } else { nil } }
}

extension DeleteRangeRequest: KVProposal {
    typealias Response = DeleteRangeResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(deleteRange: self) }
    static func response(in applied: KVResponse) -> DeleteRangeResponse? { if case .deleteRange(let r) = applied { r } else { nil } }
}

extension TxnRequest: KVProposal {
    typealias Response = TxnResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(txn: self) }
    static func response(in applied: KVResponse) -> TxnResponse? { if case .txn(let r) = applied { r } else { nil } }
}

extension CompactionRequest: KVProposal {
    typealias Response = CompactionResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(compaction: self) }
    static func response(in applied: KVResponse) -> CompactionResponse? { if case .compaction(let r) = applied { r } else { nil } }
}

extension LeaseGrantRequest: KVProposal {
    typealias Response = LeaseGrantResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(leaseGrant: self) }
    static func response(in applied: KVResponse) -> LeaseGrantResponse? { if case .leaseGrant(let r) = applied { r } else { nil } }
}

extension LeaseRevokeRequest: KVProposal {
    typealias Response = LeaseRevokeResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(leaseRevoke: self) }
    static func response(in applied: KVResponse) -> LeaseRevokeResponse? { if case .leaseRevoke(let r) = applied { r } else { nil } }
}

/// The alarm's answer has no header, as etcd's applier gives none.
extension AlarmRequest: Proposal {
    func logged(id: UInt64) -> LoggedRequest {
        var request = InternalRaftRequest(alarm: self)
        request.header = RequestHeader(id: id)
        return .kv(request)
    }

    static func answer(_ applied: AppliedAnswer, header: (_ revision: Int64) -> ResponseHeader) -> AlarmResponse? {
        if case .kv(.alarm(let r)) = applied { r } else { nil }
    }
}

extension AuthEnableRequest: KVProposal {
    typealias Response = AuthEnableResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authEnable: self) }
    static func response(in applied: KVResponse) -> AuthEnableResponse? { if case .auth(.enable(let r)) = applied { r } else { nil } }
}

extension AuthDisableRequest: KVProposal {
    typealias Response = AuthDisableResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authDisable: self) }
    static func response(in applied: KVResponse) -> AuthDisableResponse? { if case .auth(.disable(let r)) = applied { r } else { nil } }
}

extension AuthUserAddRequest: KVProposal {
    typealias Response = AuthUserAddResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authUserAdd: self) }
    static func response(in applied: KVResponse) -> AuthUserAddResponse? { if case .auth(.userAdd(let r)) = applied { r } else { nil } }
}

extension AuthUserGetRequest: KVProposal {
    typealias Response = AuthUserGetResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authUserGet: self) }
    static func response(in applied: KVResponse) -> AuthUserGetResponse? { if case .auth(.userGet(let r)) = applied { r } else { nil } }
}

extension AuthUserListRequest: KVProposal {
    typealias Response = AuthUserListResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authUserList: self) }
    static func response(in applied: KVResponse) -> AuthUserListResponse? { if case .auth(.userList(let r)) = applied { r } else { nil } }
}

extension AuthUserDeleteRequest: KVProposal {
    typealias Response = AuthUserDeleteResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authUserDelete: self) }
    static func response(in applied: KVResponse) -> AuthUserDeleteResponse? { if case .auth(.userDelete(let r)) = applied { r } else { nil } }
}

extension AuthUserChangePasswordRequest: KVProposal {
    typealias Response = AuthUserChangePasswordResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authUserChangePassword: self) }
    static func response(in applied: KVResponse) -> AuthUserChangePasswordResponse? { if case .auth(.userChangePassword(let r)) = applied { r } else { nil } }
}

extension AuthUserGrantRoleRequest: KVProposal {
    typealias Response = AuthUserGrantRoleResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authUserGrantRole: self) }
    static func response(in applied: KVResponse) -> AuthUserGrantRoleResponse? { if case .auth(.userGrantRole(let r)) = applied { r } else { nil } }
}

extension AuthUserRevokeRoleRequest: KVProposal {
    typealias Response = AuthUserRevokeRoleResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authUserRevokeRole: self) }
    static func response(in applied: KVResponse) -> AuthUserRevokeRoleResponse? { if case .auth(.userRevokeRole(let r)) = applied { r } else { nil } }
}

extension AuthRoleAddRequest: KVProposal {
    typealias Response = AuthRoleAddResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authRoleAdd: self) }
    static func response(in applied: KVResponse) -> AuthRoleAddResponse? { if case .auth(.roleAdd(let r)) = applied { r } else { nil } }
}

extension AuthRoleGetRequest: KVProposal {
    typealias Response = AuthRoleGetResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authRoleGet: self) }
    static func response(in applied: KVResponse) -> AuthRoleGetResponse? { if case .auth(.roleGet(let r)) = applied { r } else { nil } }
}

extension AuthRoleListRequest: KVProposal {
    typealias Response = AuthRoleListResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authRoleList: self) }
    static func response(in applied: KVResponse) -> AuthRoleListResponse? { if case .auth(.roleList(let r)) = applied { r } else { nil } }
}

extension AuthRoleDeleteRequest: KVProposal {
    typealias Response = AuthRoleDeleteResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authRoleDelete: self) }
    static func response(in applied: KVResponse) -> AuthRoleDeleteResponse? { if case .auth(.roleDelete(let r)) = applied { r } else { nil } }
}

extension AuthRoleGrantPermissionRequest: KVProposal {
    typealias Response = AuthRoleGrantPermissionResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authRoleGrantPermission: self) }
    static func response(in applied: KVResponse) -> AuthRoleGrantPermissionResponse? { if case .auth(.roleGrantPermission(let r)) = applied { r } else { nil } }
}

extension AuthRoleRevokePermissionRequest: KVProposal {
    typealias Response = AuthRoleRevokePermissionResponse
    var raftRequest: InternalRaftRequest { InternalRaftRequest(authRoleRevokePermission: self) }
    static func response(in applied: KVResponse) -> AuthRoleRevokePermissionResponse? { if case .auth(.roleRevokePermission(let r)) = applied { r } else { nil } }
}

extension PutResponse: HasResponseHeader {}
extension DeleteRangeResponse: HasResponseHeader {}
extension TxnResponse: HasResponseHeader {}
extension CompactionResponse: HasResponseHeader {}
extension LeaseGrantResponse: HasResponseHeader {}
extension LeaseRevokeResponse: HasResponseHeader {}
extension AuthEnableResponse: HasResponseHeader {}
extension AuthDisableResponse: HasResponseHeader {}
extension AuthUserAddResponse: HasResponseHeader {}
extension AuthUserGetResponse: HasResponseHeader {}
extension AuthUserListResponse: HasResponseHeader {}
extension AuthUserDeleteResponse: HasResponseHeader {}
extension AuthUserChangePasswordResponse: HasResponseHeader {}
extension AuthUserGrantRoleResponse: HasResponseHeader {}
extension AuthUserRevokeRoleResponse: HasResponseHeader {}
extension AuthRoleAddResponse: HasResponseHeader {}
extension AuthRoleGetResponse: HasResponseHeader {}
extension AuthRoleListResponse: HasResponseHeader {}
extension AuthRoleDeleteResponse: HasResponseHeader {}
extension AuthRoleGrantPermissionResponse: HasResponseHeader {}
extension AuthRoleRevokePermissionResponse: HasResponseHeader {}
extension RangeResponse: HasResponseHeader {}
extension HashKVResponse: HasResponseHeader {}
