import Foundation
import Wire

/// etcd's auth store (auth/store.go) as etcd 3.4 keeps it while authentication is disabled:
/// users and roles are added, granted, listed and removed through committed entries, with
/// etcd's checks and errors, and kept in the KV snapshot. Ferry does not check credentials,
/// so it never turns authentication on and keeps no password (it records only whether a
/// user was added without one). Names and permissions are ordered bytewise, as etcd's
/// backend orders its keys.
public struct AuthStore: Hashable, Sendable {
    private(set) var users: [String: User] = [:] { didSet { countSnapshotBytes() } }
    private(set) var roles: [String: Role] = [:] { didSet { countSnapshotBytes() } }
    /// Bytes the users and roles take in the KV snapshot: two counts, then each message with
    /// its length; kept as they change so the database size needs no encoding.
    private(set) var snapshotBytes = 8

    static let rootUser = "root"
    static let rootRole = "root"

    // MARK: Authentication

    /// etcd's AuthEnable: needs a root user holding the root role; Ferry then refuses, as it
    /// cannot enforce what it would turn on.
    func enable() throws(KVError) {
        guard let root = users[Self.rootUser] else { throw .rootUserNotExist }
        guard root.roles.contains(Self.rootRole) else { throw .rootRoleNotExist }
        throw .authUnsupported
    }

    // MARK: Users

    mutating func userAdd(_ request: AuthUserAddRequest) throws(KVError) {
        guard !request.name.isEmpty else { throw .userEmpty }
        guard users[request.name] == nil else { throw .userAlreadyExist }
        users[request.name] = User(name: Data(request.name.utf8), options: request.options ?? UserAddOptions(noPassword: false))
    }

    mutating func userDelete(_ request: AuthUserDeleteRequest) throws(KVError) {
        guard users.removeValue(forKey: request.name) != nil else { throw .userNotFound }
    }

    /// The password itself is not kept; the user must exist.
    func userChangePassword(_ request: AuthUserChangePasswordRequest) throws(KVError) {
        guard users[request.name] != nil else { throw .userNotFound }
    }

    /// Grants an existing role (or `root`, which need not exist); granting it again changes nothing.
    mutating func userGrantRole(_ request: AuthUserGrantRoleRequest) throws(KVError) {
        guard var user = users[request.user] else { throw .userNotFound }
        if request.role != Self.rootRole, roles[request.role] == nil { throw .roleNotFound }
        guard !user.roles.contains(request.role) else { return }
        user.roles.append(request.role)
        user.roles.sort(by: Self.bytewise)
        users[request.user] = user
    }

    mutating func userRevokeRole(_ request: AuthUserRevokeRoleRequest) throws(KVError) {
        guard var user = users[request.name] else { throw .userNotFound }
        let before = user.roles.count
        user.roles.removeAll { $0 == request.role }
        guard user.roles.count < before else { throw .roleNotGranted }
        users[request.name] = user
    }

    func userGet(_ request: AuthUserGetRequest) throws(KVError) -> [String] {
        guard let user = users[request.name] else { throw .userNotFound }
        return user.roles
    }

    var userNames: [String] { users.keys.sorted(by: Self.bytewise) }

    // MARK: Roles

    mutating func roleAdd(_ request: AuthRoleAddRequest) throws(KVError) {
        guard !request.name.isEmpty else { throw .roleEmpty }
        guard roles[request.name] == nil else { throw .roleAlreadyExist }
        roles[request.name] = Role(name: Data(request.name.utf8))
    }

    /// Deletes the role and takes it from every user holding it.
    mutating func roleDelete(_ request: AuthRoleDeleteRequest) throws(KVError) {
        guard roles.removeValue(forKey: request.role) != nil else { throw .roleNotFound }
        for (name, var user) in users where user.roles.contains(request.role) {
            user.roles.removeAll { $0 == request.role }
            users[name] = user
        }
    }

    func roleGet(_ request: AuthRoleGetRequest) throws(KVError) -> [Permission] {
        guard let role = roles[request.role] else { throw .roleNotFound }
        return role.keyPermission
    }

    var roleNames: [String] { roles.keys.sorted(by: Self.bytewise) }

    /// etcd's RoleGrantPermission: the permission found at the place its key sorts to, with
    /// the same range end, changes type; otherwise the permission is added, kept sorted by key.
    mutating func roleGrantPermission(_ request: AuthRoleGrantPermissionRequest) throws(KVError) {
        guard var role = roles[request.name] else { throw .roleNotFound }
        let perm = request.perm ?? Permission()
        let index = role.keyPermission.firstIndex { !Self.bytewise($0.key, perm.key) } ?? role.keyPermission.count
        if index < role.keyPermission.count, role.keyPermission[index].key == perm.key,
           role.keyPermission[index].rangeEnd == perm.rangeEnd {
            role.keyPermission[index].permType = perm.permType
        } else {
            role.keyPermission.append(Permission(permType: perm.permType, key: perm.key, rangeEnd: perm.rangeEnd))
            role.keyPermission = Self.sortedByKey(role.keyPermission)
        }
        roles[request.name] = role
    }

    mutating func roleRevokePermission(_ request: AuthRoleRevokePermissionRequest) throws(KVError) {
        guard var role = roles[request.role] else { throw .roleNotFound }
        let before = role.keyPermission.count
        role.keyPermission.removeAll { $0.key == request.key && $0.rangeEnd == request.rangeEnd }
        guard role.keyPermission.count < before else { throw .permissionNotGranted }
        roles[request.role] = role
    }

    // MARK: Snapshot form

    /// Users, then roles, each in name order.
    var sortedUsers: [User] { userNames.map { users[$0]! } }
    var sortedRoles: [Role] { roleNames.map { roles[$0]! } }

    /// Replaces the contents with a snapshot's.
    mutating func restore(users: [User], roles: [Role]) {
        self.users = Dictionary(users.map { (String(decoding: $0.name, as: UTF8.self), $0) }) { _, last in last }
        self.roles = Dictionary(roles.map { (String(decoding: $0.name, as: UTF8.self), $0) }) { _, last in last }
    }

    private mutating func countSnapshotBytes() {
        snapshotBytes = 8 + users.values.reduce(0) { $0 + 4 + $1.serializedBytes().count }
            + roles.values.reduce(0) { $0 + 4 + $1.serializedBytes().count }
    }

    // MARK: Order

    static func bytewise(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    static func bytewise(_ a: Data, _ b: Data) -> Bool { a.lexicographicallyPrecedes(b) }

    /// A stable sort by key (etcd's sort.Sort leaves equal keys in no fixed order; Ferry keeps
    /// them in the order granted, so every member agrees).
    static func sortedByKey(_ perms: [Permission]) -> [Permission] {
        perms.enumerated().sorted { a, b in
            if a.element.key != b.element.key { return bytewise(a.element.key, b.element.key) }
            return a.offset < b.offset
        }.map(\.element)
    }
}
