/// A gRPC status as etcd's clients see it: the code and the exact message they match on.
public struct RPCStatus: Hashable, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "code \(code): \(message)" }
}

/// Every way a KV request can fail: etcd's request checks, its store and lessor errors, and
/// entries that cannot be applied. `status` is what etcd's gRPC layer (rpctypes) answers.
public enum KVError: Error, Hashable, Sendable, CustomStringConvertible {
    // The gRPC layer's checks, before anything is proposed.
    case emptyKey
    case keyNotFound
    case valueProvided
    case leaseProvided
    case tooManyOperations
    case duplicateKey
    case requestTooLarge
    // The store.
    case compacted
    case futureRevision
    // The lessor.
    case leaseNotFound
    case leaseExists
    case leaseTTLTooLarge
    // The backend quota (etcd's quota.go and its capped applier).
    case noSpace
    // The auth store (auth/store.go), which Ferry keeps with authentication disabled.
    case authNotEnabled
    case rootUserNotExist
    case rootRoleNotExist
    case userAlreadyExist
    case userEmpty
    case userNotFound
    case roleAlreadyExist
    case roleNotFound
    case roleEmpty
    case roleNotGranted
    case permissionNotGranted
    /// AuthEnable with a root user holding the root role: Ferry does not check credentials,
    /// so it does not turn authentication on.
    case authUnsupported
    /// Keep-alives and expiry are the leader's; this member's lessor is not primary.
    case notPrimary
    /// A committed entry whose bytes are not an InternalRaftRequest; `reason` is the decoder's.
    case malformedEntry(reason: String)
    /// A committed entry carrying a request the KV state machine does not apply (v2, auth, ...).
    case unsupportedRequest(String)

    /// etcd's gRPC code and message (rpctypes); errors etcd does not map are `Unknown` (2)
    /// with the error's text, as its togRPCError does.
    public var status: RPCStatus {
        switch self {
        case .emptyKey: RPCStatus(code: 3, message: "etcdserver: key is not provided")
        case .keyNotFound: RPCStatus(code: 3, message: "etcdserver: key not found")
        case .valueProvided: RPCStatus(code: 3, message: "etcdserver: value is provided")
        case .leaseProvided: RPCStatus(code: 3, message: "etcdserver: lease is provided")
        case .tooManyOperations: RPCStatus(code: 3, message: "etcdserver: too many operations in txn request")
        case .duplicateKey: RPCStatus(code: 3, message: "etcdserver: duplicate key given in txn request")
        case .requestTooLarge: RPCStatus(code: 3, message: "etcdserver: request is too large")
        case .compacted: RPCStatus(code: 11, message: "etcdserver: mvcc: required revision has been compacted")
        case .futureRevision: RPCStatus(code: 11, message: "etcdserver: mvcc: required revision is a future revision")
        case .leaseNotFound: RPCStatus(code: 5, message: "etcdserver: requested lease not found")
        case .leaseExists: RPCStatus(code: 9, message: "etcdserver: lease already exists")
        case .leaseTTLTooLarge: RPCStatus(code: 11, message: "etcdserver: too large lease TTL")
        case .noSpace: RPCStatus(code: 8, message: "etcdserver: mvcc: database space exceeded")
        case .authNotEnabled: RPCStatus(code: 9, message: "etcdserver: authentication is not enabled")
        case .rootUserNotExist: RPCStatus(code: 9, message: "etcdserver: root user does not exist")
        case .rootRoleNotExist: RPCStatus(code: 9, message: "etcdserver: root user does not have root role")
        case .userAlreadyExist: RPCStatus(code: 9, message: "etcdserver: user name already exists")
        case .userEmpty: RPCStatus(code: 3, message: "etcdserver: user name is empty")
        case .userNotFound: RPCStatus(code: 9, message: "etcdserver: user name not found")
        case .roleAlreadyExist: RPCStatus(code: 9, message: "etcdserver: role name already exists")
        case .roleNotFound: RPCStatus(code: 9, message: "etcdserver: role name not found")
        case .roleEmpty: RPCStatus(code: 3, message: "etcdserver: role name is empty")
        case .roleNotGranted: RPCStatus(code: 9, message: "etcdserver: role is not granted to the user")
        case .permissionNotGranted: RPCStatus(code: 9, message: "etcdserver: permission is not granted to the role")
        case .authUnsupported: RPCStatus(code: 12, message: "ferry: enabling authentication is not supported (Ferry does not check credentials)")
        case .notPrimary: RPCStatus(code: 2, message: "not a primary lessor")
        case .malformedEntry(let reason): RPCStatus(code: 2, message: reason)
        case .unsupportedRequest(let what): RPCStatus(code: 2, message: "unsupported request: \(what)")
        }
    }

    public var description: String { status.description }
}
