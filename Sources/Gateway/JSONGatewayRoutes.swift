import Wire

/// One path of etcd's JSON gateway: the gRPC method behind it and the JSON forms of its
/// messages (field names as the .proto writes them, as the gateway's jsonpb has OrigName).
struct JSONGatewayRoute: Sendable {
    /// `/package.Service/Method`.
    let method: String
    /// Every JSON value in the body is a request message (a client stream), not just the first.
    let streamsRequests: Bool
    /// Responses go out as they come, each as a `{"result":...}` line (a server stream).
    let streamsResponses: Bool
    /// The body's end closes the call's sending side. etcd's gateway always does, and etcd's
    /// Watch goes on after it; Ferry's Watch ends the call there, so for it the gateway keeps
    /// the sending side open until the HTTP client goes away, which looks the same from HTTP.
    let closesSendAtBodyEnd: Bool
    let encodeRequest: @Sendable (JSONValue) throws(WireError) -> [UInt8]
    let renderResponse: @Sendable ([UInt8]) throws(WireError) -> JSONValue

    private init<Request: WireMessage, Response: WireMessage>(
        _ method: String, _: Request.Type, _: Response.Type,
        streamsRequests: Bool = false, streamsResponses: Bool = false, closesSendAtBodyEnd: Bool = true
    ) {
        self.method = method
        self.streamsRequests = streamsRequests
        self.streamsResponses = streamsResponses
        self.closesSendAtBodyEnd = closesSendAtBodyEnd
        encodeRequest = { json throws(WireError) in try Request(jsonValue: json, style: .protoName).serializedBytes() }
        renderResponse = { bytes throws(WireError) in try Response(serializedBytes: bytes).jsonValue(.protoName) }
    }

    /// The paths etcd 3.4 registers (etcdserverpb's gateway, then v3lock's and v3election's),
    /// all POST. `/v3/maintenance/hash` is registered for Hash and HashKV; the first wins.
    static let all: [String: JSONGatewayRoute] = [
        "/v3/kv/range": .init("/etcdserverpb.KV/Range", RangeRequest.self, RangeResponse.self),
        "/v3/kv/put": .init("/etcdserverpb.KV/Put", PutRequest.self, PutResponse.self),
        "/v3/kv/deleterange": .init("/etcdserverpb.KV/DeleteRange", DeleteRangeRequest.self, DeleteRangeResponse.self),
        "/v3/kv/txn": .init("/etcdserverpb.KV/Txn", TxnRequest.self, TxnResponse.self),
        "/v3/kv/compaction": .init("/etcdserverpb.KV/Compact", CompactionRequest.self, CompactionResponse.self),
        "/v3/watch": .init("/etcdserverpb.Watch/Watch", WatchRequest.self, WatchResponse.self,
                           streamsRequests: true, streamsResponses: true, closesSendAtBodyEnd: false),
        "/v3/lease/grant": .init("/etcdserverpb.Lease/LeaseGrant", LeaseGrantRequest.self, LeaseGrantResponse.self),
        "/v3/lease/revoke": .init("/etcdserverpb.Lease/LeaseRevoke", LeaseRevokeRequest.self, LeaseRevokeResponse.self),
        "/v3/kv/lease/revoke": .init("/etcdserverpb.Lease/LeaseRevoke", LeaseRevokeRequest.self, LeaseRevokeResponse.self),
        "/v3/lease/keepalive": .init("/etcdserverpb.Lease/LeaseKeepAlive", LeaseKeepAliveRequest.self, LeaseKeepAliveResponse.self,
                                     streamsRequests: true, streamsResponses: true),
        "/v3/lease/timetolive": .init("/etcdserverpb.Lease/LeaseTimeToLive", LeaseTimeToLiveRequest.self, LeaseTimeToLiveResponse.self),
        "/v3/kv/lease/timetolive": .init("/etcdserverpb.Lease/LeaseTimeToLive", LeaseTimeToLiveRequest.self, LeaseTimeToLiveResponse.self),
        "/v3/lease/leases": .init("/etcdserverpb.Lease/LeaseLeases", LeaseLeasesRequest.self, LeaseLeasesResponse.self),
        "/v3/kv/lease/leases": .init("/etcdserverpb.Lease/LeaseLeases", LeaseLeasesRequest.self, LeaseLeasesResponse.self),
        "/v3/cluster/member/add": .init("/etcdserverpb.Cluster/MemberAdd", MemberAddRequest.self, MemberAddResponse.self),
        "/v3/cluster/member/remove": .init("/etcdserverpb.Cluster/MemberRemove", MemberRemoveRequest.self, MemberRemoveResponse.self),
        "/v3/cluster/member/update": .init("/etcdserverpb.Cluster/MemberUpdate", MemberUpdateRequest.self, MemberUpdateResponse.self),
        "/v3/cluster/member/list": .init("/etcdserverpb.Cluster/MemberList", MemberListRequest.self, MemberListResponse.self),
        "/v3/cluster/member/promote": .init("/etcdserverpb.Cluster/MemberPromote", MemberPromoteRequest.self, MemberPromoteResponse.self),
        "/v3/maintenance/alarm": .init("/etcdserverpb.Maintenance/Alarm", AlarmRequest.self, AlarmResponse.self),
        "/v3/maintenance/status": .init("/etcdserverpb.Maintenance/Status", StatusRequest.self, StatusResponse.self),
        "/v3/maintenance/defragment": .init("/etcdserverpb.Maintenance/Defragment", DefragmentRequest.self, DefragmentResponse.self),
        "/v3/maintenance/hash": .init("/etcdserverpb.Maintenance/Hash", HashRequest.self, HashResponse.self),
        "/v3/maintenance/snapshot": .init("/etcdserverpb.Maintenance/Snapshot", SnapshotRequest.self, SnapshotResponse.self,
                                          streamsResponses: true),
        "/v3/maintenance/transfer-leadership": .init("/etcdserverpb.Maintenance/MoveLeader", MoveLeaderRequest.self, MoveLeaderResponse.self),
        "/v3/auth/enable": .init("/etcdserverpb.Auth/AuthEnable", AuthEnableRequest.self, AuthEnableResponse.self),
        "/v3/auth/disable": .init("/etcdserverpb.Auth/AuthDisable", AuthDisableRequest.self, AuthDisableResponse.self),
        "/v3/auth/authenticate": .init("/etcdserverpb.Auth/Authenticate", AuthenticateRequest.self, AuthenticateResponse.self),
        "/v3/auth/user/add": .init("/etcdserverpb.Auth/UserAdd", AuthUserAddRequest.self, AuthUserAddResponse.self),
        "/v3/auth/user/get": .init("/etcdserverpb.Auth/UserGet", AuthUserGetRequest.self, AuthUserGetResponse.self),
        "/v3/auth/user/list": .init("/etcdserverpb.Auth/UserList", AuthUserListRequest.self, AuthUserListResponse.self),
        "/v3/auth/user/delete": .init("/etcdserverpb.Auth/UserDelete", AuthUserDeleteRequest.self, AuthUserDeleteResponse.self),
        "/v3/auth/user/changepw": .init("/etcdserverpb.Auth/UserChangePassword", AuthUserChangePasswordRequest.self, AuthUserChangePasswordResponse.self),
        "/v3/auth/user/grant": .init("/etcdserverpb.Auth/UserGrantRole", AuthUserGrantRoleRequest.self, AuthUserGrantRoleResponse.self),
        "/v3/auth/user/revoke": .init("/etcdserverpb.Auth/UserRevokeRole", AuthUserRevokeRoleRequest.self, AuthUserRevokeRoleResponse.self),
        "/v3/auth/role/add": .init("/etcdserverpb.Auth/RoleAdd", AuthRoleAddRequest.self, AuthRoleAddResponse.self),
        "/v3/auth/role/get": .init("/etcdserverpb.Auth/RoleGet", AuthRoleGetRequest.self, AuthRoleGetResponse.self),
        "/v3/auth/role/list": .init("/etcdserverpb.Auth/RoleList", AuthRoleListRequest.self, AuthRoleListResponse.self),
        "/v3/auth/role/delete": .init("/etcdserverpb.Auth/RoleDelete", AuthRoleDeleteRequest.self, AuthRoleDeleteResponse.self),
        "/v3/auth/role/grant": .init("/etcdserverpb.Auth/RoleGrantPermission", AuthRoleGrantPermissionRequest.self, AuthRoleGrantPermissionResponse.self),
        "/v3/auth/role/revoke": .init("/etcdserverpb.Auth/RoleRevokePermission", AuthRoleRevokePermissionRequest.self, AuthRoleRevokePermissionResponse.self),
        "/v3/lock/lock": .init("/v3lockpb.Lock/Lock", LockRequest.self, LockResponse.self),
        "/v3/lock/unlock": .init("/v3lockpb.Lock/Unlock", UnlockRequest.self, UnlockResponse.self),
        "/v3/election/campaign": .init("/v3electionpb.Election/Campaign", CampaignRequest.self, CampaignResponse.self),
        "/v3/election/proclaim": .init("/v3electionpb.Election/Proclaim", ProclaimRequest.self, ProclaimResponse.self),
        "/v3/election/leader": .init("/v3electionpb.Election/Leader", LeaderRequest.self, LeaderResponse.self),
        "/v3/election/observe": .init("/v3electionpb.Election/Observe", LeaderRequest.self, LeaderResponse.self, streamsResponses: true),
        "/v3/election/resign": .init("/v3electionpb.Election/Resign", ResignRequest.self, ResignResponse.self),
    ]
}
