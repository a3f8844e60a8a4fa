import GRPC
import KV
import NIOCore
import Wire

/// etcd's `etcdserverpb.Auth` service as etcd 3.4 answers it with authentication disabled:
/// every request but Authenticate goes through raft to the replicated auth store (users and
/// roles are kept, listed and granted as etcd keeps them); Authenticate answers, after a
/// linearizable read as etcd's, that authentication is not enabled. Ferry never enables it.
struct AuthService {
    let node: RaftNode

    var methods: [String: GRPCMethod] {
        let node = node
        return [
            "/etcdserverpb.Auth/AuthEnable": proposing(AuthEnableResponse.self) { (r: AuthEnableRequest) in InternalRaftRequest(authEnable: r) },
            "/etcdserverpb.Auth/AuthDisable": proposing(AuthDisableResponse.self) { (r: AuthDisableRequest) in InternalRaftRequest(authDisable: r) },
            "/etcdserverpb.Auth/Authenticate": GRPCServer.unary { (_: AuthenticateRequest, reply: @escaping @Sendable (Result<AuthenticateResponse, GRPCStatus>) -> Void) in
                node.read(linearizable: true) { _ -> AuthenticateResponse in throw KVError.authNotEnabled }
                    .whenComplete { reply($0.mapError(KVService.status)) }
            },
            "/etcdserverpb.Auth/UserAdd": proposing(AuthUserAddResponse.self) { (r: AuthUserAddRequest) in InternalRaftRequest(authUserAdd: r) },
            "/etcdserverpb.Auth/UserGet": proposing(AuthUserGetResponse.self) { (r: AuthUserGetRequest) in InternalRaftRequest(authUserGet: r) },
            "/etcdserverpb.Auth/UserList": proposing(AuthUserListResponse.self) { (r: AuthUserListRequest) in InternalRaftRequest(authUserList: r) },
            "/etcdserverpb.Auth/UserDelete": proposing(AuthUserDeleteResponse.self) { (r: AuthUserDeleteRequest) in InternalRaftRequest(authUserDelete: r) },
            "/etcdserverpb.Auth/UserChangePassword":
                proposing(AuthUserChangePasswordResponse.self) { (r: AuthUserChangePasswordRequest) in InternalRaftRequest(authUserChangePassword: r) },
            "/etcdserverpb.Auth/UserGrantRole":
                proposing(AuthUserGrantRoleResponse.self) { (r: AuthUserGrantRoleRequest) in InternalRaftRequest(authUserGrantRole: r) },
            "/etcdserverpb.Auth/UserRevokeRole":
                proposing(AuthUserRevokeRoleResponse.self) { (r: AuthUserRevokeRoleRequest) in InternalRaftRequest(authUserRevokeRole: r) },
            "/etcdserverpb.Auth/RoleAdd": proposing(AuthRoleAddResponse.self) { (r: AuthRoleAddRequest) in InternalRaftRequest(authRoleAdd: r) },
            "/etcdserverpb.Auth/RoleGet": proposing(AuthRoleGetResponse.self) { (r: AuthRoleGetRequest) in InternalRaftRequest(authRoleGet: r) },
            "/etcdserverpb.Auth/RoleList": proposing(AuthRoleListResponse.self) { (r: AuthRoleListRequest) in InternalRaftRequest(authRoleList: r) },
            "/etcdserverpb.Auth/RoleDelete": proposing(AuthRoleDeleteResponse.self) { (r: AuthRoleDeleteRequest) in InternalRaftRequest(authRoleDelete: r) },
            "/etcdserverpb.Auth/RoleGrantPermission":
                proposing(AuthRoleGrantPermissionResponse.self) { (r: AuthRoleGrantPermissionRequest) in InternalRaftRequest(authRoleGrantPermission: r) },
            "/etcdserverpb.Auth/RoleRevokePermission":
                proposing(AuthRoleRevokePermissionResponse.self) { (r: AuthRoleRevokePermissionRequest) in InternalRaftRequest(authRoleRevokePermission: r) },
        ]
    }

    /// A method that proposes its request wrapped by `wrap` and answers with the response the
    /// auth store gave when it was applied, under this member's header.
    private func proposing<Request: WireMessage, Response: WireMessage & HasResponseHeader>(
        _: Response.Type, _ wrap: @escaping @Sendable (Request) -> InternalRaftRequest
    ) -> GRPCMethod {
        let node = node
        return GRPCServer.unary { (request: Request, reply: @escaping @Sendable (Result<Response, GRPCStatus>) -> Void) in
            KVService.answer(node.propose(wrap(request)), on: node, reply) { response in
                if case .auth(let auth) = response { auth.message as? Response } else { nil }
            }
        }
    }
}

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
