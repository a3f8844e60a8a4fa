import Wire

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
    public var status: GRPCStatus {
        switch self {
        case .emptyKey: GRPCStatus(code: .invalidArgument, message: "etcdserver: key is not provided")
        case .keyNotFound: GRPCStatus(code: .invalidArgument, message: "etcdserver: key not found")
        case .valueProvided: GRPCStatus(code: .invalidArgument, message: "etcdserver: value is provided")
        case .leaseProvided: GRPCStatus(code: .invalidArgument, message: "etcdserver: lease is provided")
        case .tooManyOperations: GRPCStatus(code: .invalidArgument, message: "etcdserver: too many operations in txn request")
        case .duplicateKey: GRPCStatus(code: .invalidArgument, message: "etcdserver: duplicate key given in txn request")
        case .requestTooLarge: GRPCStatus(code: .invalidArgument, message: "etcdserver: request is too large")
        case .compacted: GRPCStatus(code: .outOfRange, message: "etcdserver: mvcc: required revision has been compacted")
        case .futureRevision: GRPCStatus(code: .outOfRange, message: "etcdserver: mvcc: required revision is a future revision")
        case .leaseNotFound: GRPCStatus(code: .notFound, message: "etcdserver: requested lease not found")
        case .leaseExists: GRPCStatus(code: .failedPrecondition, message: "etcdserver: lease already exists")
        case .leaseTTLTooLarge: GRPCStatus(code: .outOfRange, message: "etcdserver: too large lease TTL")
        case .noSpace: GRPCStatus(code: .resourceExhausted, message: "etcdserver: mvcc: database space exceeded")
        case .authNotEnabled: GRPCStatus(code: .failedPrecondition, message: "etcdserver: authentication is not enabled")
        case .rootUserNotExist: GRPCStatus(code: .failedPrecondition, message: "etcdserver: root user does not exist")
        case .rootRoleNotExist: GRPCStatus(code: .failedPrecondition, message: "etcdserver: root user does not have root role")
        case .userAlreadyExist: GRPCStatus(code: .failedPrecondition, message: "etcdserver: user name already exists")
        case .userEmpty: GRPCStatus(code: .invalidArgument, message: "etcdserver: user name is empty")
        case .userNotFound: GRPCStatus(code: .failedPrecondition, message: "etcdserver: user name not found")
        case .roleAlreadyExist: GRPCStatus(code: .failedPrecondition, message: "etcdserver: role name already exists")
        case .roleNotFound: GRPCStatus(code: .failedPrecondition, message: "etcdserver: role name not found")
        case .roleEmpty: GRPCStatus(code: .invalidArgument, message: "etcdserver: role name is empty")
        case .roleNotGranted: GRPCStatus(code: .failedPrecondition, message: "etcdserver: role is not granted to the user")
        case .permissionNotGranted: GRPCStatus(code: .failedPrecondition, message: "etcdserver: permission is not granted to the role")
        case .authUnsupported: GRPCStatus(code: .unimplemented, message: "ferry: enabling authentication is not supported (Ferry does not check credentials)")
        case .notPrimary: GRPCStatus(code: .unknown, message: "not a primary lessor")
        case .malformedEntry(let reason): GRPCStatus(code: .unknown, message: reason)
        case .unsupportedRequest(let what): GRPCStatus(code: .unknown, message: "unsupported request: \(what)")
        }
    }

    public var description: String { status.description }
}
