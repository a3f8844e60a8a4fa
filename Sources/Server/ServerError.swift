import GRPC
import KV

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

    public var status: GRPCStatus {
        switch self {
        case .timeout: GRPCStatus(code: 14, message: "etcdserver: request timed out")
        case .timeoutDueToLeaderFail: GRPCStatus(code: 14, message: "etcdserver: request timed out, possibly due to previous leader failure")
        case .timeoutDueToConnectionLost: GRPCStatus(code: 14, message: "etcdserver: request timed out, possibly due to connection lost")
        case .leaderChanged: GRPCStatus(code: 14, message: "etcdserver: leader changed")
        case .noLeader: GRPCStatus(code: 14, message: "etcdserver: no leader")
        case .stopped: GRPCStatus(code: 14, message: "etcdserver: server stopped")
        case .requestTooLarge: GRPCStatus(code: 3, message: "etcdserver: request is too large")
        case .proposalDropped: GRPCStatus(code: 2, message: "raft proposal dropped")
        case .notLeader: GRPCStatus(code: 9, message: "etcdserver: not leader")
        case .badLeaderTransferee: GRPCStatus(code: 9, message: "etcdserver: bad leader transferee")
        case .timeoutLeaderTransfer: GRPCStatus(code: 2, message: "etcdserver: request timed out, leader transfer took too long")
        case .kv(let error): GRPCStatus(code: error.status.code, message: error.status.message)
        case .membership(let refusal): GRPCStatus(code: refusal.status.code, message: refusal.status.message)
        }
    }

    public var description: String { status.message }
}
