import Wire

/// What applying one of etcd's auth requests answers: the response message of its RPC.
public enum AuthResponse: Hashable, Sendable {
    case enable(AuthEnableResponse)
    case disable(AuthDisableResponse)
    case authenticate(AuthenticateResponse)
    case userAdd(AuthUserAddResponse)
    case userDelete(AuthUserDeleteResponse)
    case userChangePassword(AuthUserChangePasswordResponse)
    case userGrantRole(AuthUserGrantRoleResponse)
    case userRevokeRole(AuthUserRevokeRoleResponse)
    case userGet(AuthUserGetResponse)
    case userList(AuthUserListResponse)
    case roleAdd(AuthRoleAddResponse)
    case roleDelete(AuthRoleDeleteResponse)
    case roleGet(AuthRoleGetResponse)
    case roleList(AuthRoleListResponse)
    case roleGrantPermission(AuthRoleGrantPermissionResponse)
    case roleRevokePermission(AuthRoleRevokePermissionResponse)

    /// The response message, for a service to answer with.
    public var message: any WireMessage {
        switch self {
        case .enable(let r): r
        case .disable(let r): r
        case .authenticate(let r): r
        case .userAdd(let r): r
        case .userDelete(let r): r
        case .userChangePassword(let r): r
        case .userGrantRole(let r): r
        case .userRevokeRole(let r): r
        case .userGet(let r): r
        case .userList(let r): r
        case .roleAdd(let r): r
        case .roleDelete(let r): r
        case .roleGet(let r): r
        case .roleList(let r): r
        case .roleGrantPermission(let r): r
        case .roleRevokePermission(let r): r
        }
    }
}

extension KVStateMachine {
    /// The alarms raised, as `Maintenance.Alarm` lists them.
    public var alarms: [AlarmMember] { alarmStore.get(.none) }

    /// Applies an entry's auth request, in the order etcd's applier tries the fields; nil when
    /// the entry holds none. Each response carries the store's revision, as etcd's newHeader.
    func applyAuth(_ request: InternalRaftRequest) throws(KVError) -> AuthResponse? {
        let header = self.header
        if request.authenticate != nil {
            throw .authNotEnabled
        } else if request.authEnable != nil {
            try auth.enable()
            return .enable(AuthEnableResponse(header: header))
        } else if request.authDisable != nil {
            return .disable(AuthDisableResponse(header: header))
        } else if let r = request.authUserAdd {
            try auth.userAdd(r)
            return .userAdd(AuthUserAddResponse(header: header))
        } else if let r = request.authUserDelete {
            try auth.userDelete(r)
            return .userDelete(AuthUserDeleteResponse(header: header))
        } else if let r = request.authUserChangePassword {
            try auth.userChangePassword(r)
            return .userChangePassword(AuthUserChangePasswordResponse(header: header))
        } else if let r = request.authUserGrantRole {
            try auth.userGrantRole(r)
            return .userGrantRole(AuthUserGrantRoleResponse(header: header))
        } else if let r = request.authUserGet {
            return .userGet(AuthUserGetResponse(header: header, roles: try auth.userGet(r)))
        } else if let r = request.authUserRevokeRole {
            try auth.userRevokeRole(r)
            return .userRevokeRole(AuthUserRevokeRoleResponse(header: header))
        } else if let r = request.authRoleAdd {
            try auth.roleAdd(r)
            return .roleAdd(AuthRoleAddResponse(header: header))
        } else if let r = request.authRoleGrantPermission {
            try auth.roleGrantPermission(r)
            return .roleGrantPermission(AuthRoleGrantPermissionResponse(header: header))
        } else if let r = request.authRoleGet {
            return .roleGet(AuthRoleGetResponse(header: header, perm: try auth.roleGet(r)))
        } else if let r = request.authRoleRevokePermission {
            try auth.roleRevokePermission(r)
            return .roleRevokePermission(AuthRoleRevokePermissionResponse(header: header))
        } else if let r = request.authRoleDelete {
            try auth.roleDelete(r)
            return .roleDelete(AuthRoleDeleteResponse(header: header))
        } else if request.authUserList != nil {
            return .userList(AuthUserListResponse(header: header, users: auth.userNames))
        } else if request.authRoleList != nil {
            return .roleList(AuthRoleListResponse(header: header, roles: auth.roleNames))
        }
        return nil
    }
}
