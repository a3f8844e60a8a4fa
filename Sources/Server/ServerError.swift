import GRPC
import KV
import Wire

/// Why the server could not answer a request, with etcd 3.4's gRPC codes and messages
/// (rpctypes), which clients match on.
public enum ServerError: Error, Equatable, Sendable, CustomStringConvertible {
    case timeout
    case timeoutDueToLeaderFail
    case timeoutDueToConnectionLost
    case leaderChanged
    case noLeader
    case stopped
    case requestTooLarge
    case proposalDropped
    case notLeader
    case badLeaderTransferee
    case timeoutLeaderTransfer
    case kv(KVError)
    case membership(MembershipRefusal)
    /// The entry applied under a proposal's request ID answered another kind of request:
    /// only a peer logging under this member's IDs makes that happen.
    case answeredAnotherRequest

    public var status: GRPCStatus {
        switch self {
        case .timeout: GRPCStatus(code: .unavailable, message: "etcdserver: request timed out")
        case .timeoutDueToLeaderFail: GRPCStatus(code: .unavailable, message: "etcdserver: request timed out, possibly due to previous leader failure")
        case .timeoutDueToConnectionLost: GRPCStatus(code: .unavailable, message: "etcdserver: request timed out, possibly due to connection lost")
        case .leaderChanged: GRPCStatus(code: .unavailable, message: "etcdserver: leader changed")
        case .noLeader: GRPCStatus(code: .unavailable, message: "etcdserver: no leader")
        case .stopped: GRPCStatus(code: .unavailable, message: "etcdserver: server stopped")
        case .requestTooLarge: GRPCStatus(code: .invalidArgument, message: "etcdserver: request is too large")
        case .proposalDropped: GRPCStatus(code: .unknown, message: "raft proposal dropped")
        case .notLeader: GRPCStatus(code: .failedPrecondition, message: "etcdserver: not leader")
        case .badLeaderTransferee: GRPCStatus(code: .failedPrecondition, message: "etcdserver: bad leader transferee")
        case .timeoutLeaderTransfer: GRPCStatus(code: .unknown, message: "etcdserver: request timed out, leader transfer took too long")
        case .kv(let error): error.status
        case .membership(let refusal): refusal.status
        case .answeredAnotherRequest: GRPCStatus(code: .internal, message: "etcdserver: unexpected response type")
        }
    }

    public var description: String { status.message }
}
