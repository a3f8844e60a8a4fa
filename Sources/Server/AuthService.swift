import GRPC
import KV
import NIOCore
import Wire

/// etcd's `etcdserverpb.Auth` service as etcd 3.4 answers it with authentication disabled:
/// every request but Authenticate goes through raft to the replicated auth store (users and
/// roles are kept, listed and granted as etcd keeps them); Authenticate answers, after a
/// linearizable read as etcd's, that authentication is not enabled. Ferry never enables it.
struct AuthService {
    let node: MemberLoop

    var methods: [String: GRPCMethod] {
        let node = node
        return [
            "/etcdserverpb.Auth/AuthEnable": proposing(AuthEnableRequest.self),
            "/etcdserverpb.Auth/AuthDisable": proposing(AuthDisableRequest.self),
            "/etcdserverpb.Auth/Authenticate": GRPCServer.unary { (_: AuthenticateRequest, reply: @escaping @Sendable (Result<AuthenticateResponse, GRPCStatus>) -> Void) in
                node.read(linearizable: true) { _ -> AuthenticateResponse in throw KVError.authNotEnabled }
                    .whenComplete { reply($0.mapError(KVService.status)) }
            },
            "/etcdserverpb.Auth/UserAdd": proposing(AuthUserAddRequest.self),
            "/etcdserverpb.Auth/UserGet": proposing(AuthUserGetRequest.self),
            "/etcdserverpb.Auth/UserList": proposing(AuthUserListRequest.self),
            "/etcdserverpb.Auth/UserDelete": proposing(AuthUserDeleteRequest.self),
            "/etcdserverpb.Auth/UserChangePassword": proposing(AuthUserChangePasswordRequest.self),
            "/etcdserverpb.Auth/UserGrantRole": proposing(AuthUserGrantRoleRequest.self),
            "/etcdserverpb.Auth/UserRevokeRole": proposing(AuthUserRevokeRoleRequest.self),
            "/etcdserverpb.Auth/RoleAdd": proposing(AuthRoleAddRequest.self),
            "/etcdserverpb.Auth/RoleGet": proposing(AuthRoleGetRequest.self),
            "/etcdserverpb.Auth/RoleList": proposing(AuthRoleListRequest.self),
            "/etcdserverpb.Auth/RoleDelete": proposing(AuthRoleDeleteRequest.self),
            "/etcdserverpb.Auth/RoleGrantPermission": proposing(AuthRoleGrantPermissionRequest.self),
            "/etcdserverpb.Auth/RoleRevokePermission": proposing(AuthRoleRevokePermissionRequest.self),
        ]
    }

    /// A method that proposes its request and answers with the response the auth store gave
    /// when it was applied, under this member's header.
    private func proposing<Request: KVProposal & WireMessage>(_: Request.Type) -> GRPCMethod where Request.Response: WireMessage {
        let node = node
        return GRPCServer.unary { (request: Request, reply: @escaping @Sendable (Result<Request.Response, GRPCStatus>) -> Void) in
            node.propose(request) { reply($0.mapError(\.status)) }
        }
    }
}
