import Foundation
import KV
import Testing
import Wire

/// The auth store as etcd 3.4's answers with authentication disabled (outputs checked against
/// etcd 3.4.23 through etcdctl).
@Suite struct AuthStoreTests {
    func auth(_ driver: inout EntryDriver, _ request: InternalRaftRequest) -> Result<any WireMessage, KVError> {
        driver.apply(request).map { response -> any WireMessage in
            if case .auth(let auth) = response { auth.message } else { AlarmResponse() }
        }
    }

    func failure(_ result: Result<any WireMessage, KVError>) -> KVError? {
        if case .failure(let error) = result { error } else { nil }
    }

    @Test func usersAndRolesAreKeptGrantedAndListedAsEtcdDoes() throws {
        var d = EntryDriver()
        d.put("x", "1")
        #expect(failure(auth(&d, InternalRaftRequest(authEnable: AuthEnableRequest()))) == .rootUserNotExist)
        #expect(failure(auth(&d, InternalRaftRequest(authenticate: InternalAuthenticateRequest(name: "a", password: "b")))) == .authNotEnabled)
        let list = try #require(try auth(&d, InternalRaftRequest(authUserList: AuthUserListRequest())).get() as? AuthUserListResponse)
        #expect(list.users.isEmpty && list.header?.revision == 2)
        #expect(failure(auth(&d, InternalRaftRequest(authUserGet: AuthUserGetRequest(name: "bob")))) == .userNotFound)
        #expect(failure(auth(&d, InternalRaftRequest(authRoleGet: AuthRoleGetRequest(role: "r")))) == .roleNotFound)
        #expect(failure(auth(&d, InternalRaftRequest(authUserAdd: AuthUserAddRequest(name: "")))) == .userEmpty)
        #expect(failure(auth(&d, InternalRaftRequest(authRoleAdd: AuthRoleAddRequest(name: "")))) == .roleEmpty)

        for name in ["bob", "alice", "Zed"] {
            _ = try auth(&d, InternalRaftRequest(authUserAdd: AuthUserAddRequest(name: name, password: "pw"))).get()
        }
        #expect(failure(auth(&d, InternalRaftRequest(authUserAdd: AuthUserAddRequest(name: "bob")))) == .userAlreadyExist)
        let users = try #require(try auth(&d, InternalRaftRequest(authUserList: AuthUserListRequest())).get() as? AuthUserListResponse)
        #expect(users.users == ["Zed", "alice", "bob"])

        _ = try auth(&d, InternalRaftRequest(authRoleAdd: AuthRoleAddRequest(name: "r1"))).get()
        #expect(failure(auth(&d, InternalRaftRequest(authRoleAdd: AuthRoleAddRequest(name: "r1")))) == .roleAlreadyExist)
        func grant(_ type: Permission.PermissionType, _ key: String, _ end: String) throws {
            let perm = Permission(permType: type, key: Data(key.utf8), rangeEnd: Data(end.utf8))
            _ = try auth(&d, InternalRaftRequest(authRoleGrantPermission: AuthRoleGrantPermissionRequest(name: "r1", perm: perm))).get()
        }
        try grant(.readwrite, "/a", "/b")
        try grant(.read, "/p/", "/p0")
        try grant(.write, "k", "")
        try grant(.write, "/a", "/b")
        let role = try #require(try auth(&d, InternalRaftRequest(authRoleGet: AuthRoleGetRequest(role: "r1"))).get() as? AuthRoleGetResponse)
        #expect(role.perm == [
            Permission(permType: .write, key: Data("/a".utf8), rangeEnd: Data("/b".utf8)),
            Permission(permType: .read, key: Data("/p/".utf8), rangeEnd: Data("/p0".utf8)),
            Permission(permType: .write, key: Data("k".utf8)),
        ])

        #expect(failure(auth(&d, InternalRaftRequest(authUserGrantRole: AuthUserGrantRoleRequest(user: "alice", role: "nope")))) == .roleNotFound)
        _ = try auth(&d, InternalRaftRequest(authUserGrantRole: AuthUserGrantRoleRequest(user: "alice", role: "r1"))).get()
        _ = try auth(&d, InternalRaftRequest(authUserGrantRole: AuthUserGrantRoleRequest(user: "alice", role: "r1"))).get()
        _ = try auth(&d, InternalRaftRequest(authUserGrantRole: AuthUserGrantRoleRequest(user: "alice", role: "root"))).get()
        let alice = try #require(try auth(&d, InternalRaftRequest(authUserGet: AuthUserGetRequest(name: "alice"))).get() as? AuthUserGetResponse)
        #expect(alice.roles == ["r1", "root"])

        // A snapshot carries users and roles.
        let restored = KVStateMachine()
        try restored.restore(snapshot: d.machine.snapshot())
        var twin = EntryDriver(restored)
        let back = try #require(try auth(&twin, InternalRaftRequest(authUserGet: AuthUserGetRequest(name: "alice"))).get() as? AuthUserGetResponse)
        #expect(back.roles == ["r1", "root"])

        #expect(failure(auth(&d, InternalRaftRequest(authRoleRevokePermission: AuthRoleRevokePermissionRequest(role: "r1", key: Data("zz".utf8))))) == .permissionNotGranted)
        _ = try auth(&d, InternalRaftRequest(authRoleRevokePermission: AuthRoleRevokePermissionRequest(role: "r1", key: Data("/a".utf8), rangeEnd: Data("/b".utf8)))).get()
        _ = try auth(&d, InternalRaftRequest(authUserRevokeRole: AuthUserRevokeRoleRequest(name: "alice", role: "root"))).get()
        #expect(failure(auth(&d, InternalRaftRequest(authUserRevokeRole: AuthUserRevokeRoleRequest(name: "alice", role: "root")))) == .roleNotGranted)
        _ = try auth(&d, InternalRaftRequest(authRoleDelete: AuthRoleDeleteRequest(role: "r1"))).get()
        let bare = try #require(try auth(&d, InternalRaftRequest(authUserGet: AuthUserGetRequest(name: "alice"))).get() as? AuthUserGetResponse)
        #expect(bare.roles.isEmpty)
        _ = try auth(&d, InternalRaftRequest(authUserChangePassword: AuthUserChangePasswordRequest(name: "alice", password: "new"))).get()
        #expect(failure(auth(&d, InternalRaftRequest(authUserChangePassword: AuthUserChangePasswordRequest(name: "carol")))) == .userNotFound)
        _ = try auth(&d, InternalRaftRequest(authUserDelete: AuthUserDeleteRequest(name: "alice"))).get()
        #expect(failure(auth(&d, InternalRaftRequest(authUserDelete: AuthUserDeleteRequest(name: "alice")))) == .userNotFound)
    }

    @Test func enablingNeedsRootWithTheRootRoleAndIsThenRefused() throws {
        var d = EntryDriver()
        _ = try auth(&d, InternalRaftRequest(authUserAdd: AuthUserAddRequest(name: "root", password: "pw"))).get()
        #expect(failure(auth(&d, InternalRaftRequest(authEnable: AuthEnableRequest()))) == .rootRoleNotExist)
        _ = try auth(&d, InternalRaftRequest(authUserGrantRole: AuthUserGrantRoleRequest(user: "root", role: "root"))).get()
        #expect(failure(auth(&d, InternalRaftRequest(authEnable: AuthEnableRequest()))) == .authUnsupported)
        #expect((try? auth(&d, InternalRaftRequest(authDisable: AuthDisableRequest())).get()) != nil)
        #expect(KVError.rootUserNotExist.status == GRPCStatus(code: .failedPrecondition, message: "etcdserver: root user does not exist"))
        #expect(KVError.noSpace.status == GRPCStatus(code: .resourceExhausted, message: "etcdserver: mvcc: database space exceeded"))
    }
}
