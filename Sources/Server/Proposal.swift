import KV
import Raft
import Wire

/// A request a member proposes through raft, typed with the answer applying it gives. The
/// log holds bytes and every member applies them without knowing who proposed what, so the
/// answer reaches the proposer's waiter as an `AppliedAnswer`; each request type says here,
/// once, which answer is its own.
protocol Proposal: Sendable {
    associatedtype Response: Sendable
    /// What raft logs for it, under request ID `id`.
    func logged(id: UInt64) -> LoggedRequest
    /// Its answer in what applying its entry gave, with `header` filling the response header
    /// as etcd's gRPC layer does on the member that was asked; nil when the entry under this
    /// request's ID answered another kind of request.
    static func answer(_ applied: AppliedAnswer, header: (_ revision: Int64) -> ResponseHeader) -> Response?
}

/// What raft is asked to log.
enum LoggedRequest {
    /// A KV request: refused before it is logged when it does not fit the space quota.
    case kv(InternalRaftRequest)
    /// A v2 request of etcd's membership bookkeeping (attributes, cluster version).
    case v2(Request)
    case confChange(ConfChange)
}

/// What a proposal's waiter learns once its entry is applied here.
enum AppliedAnswer: Sendable {
    /// The state machine's answer.
    case kv(KVResponse)
    /// The membership took it (a conf change, a v2 request).
    case membership
}

/// A request the KV state machine applies: logged as an InternalRaftRequest, answered with
/// its response, the header filled.
protocol KVProposal: Proposal where Response: HasResponseHeader {
    var raftRequest: InternalRaftRequest { get }
    static func response(in applied: KVResponse) -> Response?
}

extension KVProposal {
    func logged(id: UInt64) -> LoggedRequest {
        var request = raftRequest
        request.header = RequestHeader(id: id)
        return .kv(request)
    }

    static func answer(_ applied: AppliedAnswer, header: (_ revision: Int64) -> ResponseHeader) -> Response? {
        guard case .kv(let kv) = applied, var response = response(in: kv) else { return nil }
        response.header = header(response.header?.revision ?? 0)
        return response
    }
}

/// Responses that carry etcd's response header.
protocol HasResponseHeader {
    var header: ResponseHeader? { get set }
}

/// A change the membership applies (a conf change, a v2 request): answered with nothing
/// once it took it.
protocol MembershipProposal: Proposal where Response == Void {}

extension MembershipProposal {
    static func answer(_ applied: AppliedAnswer, header: (_ revision: Int64) -> ResponseHeader) -> Void? {
        guard case .membership = applied else { return nil }
        return ()
    }
}

extension ConfChange: MembershipProposal {
    func logged(id: UInt64) -> LoggedRequest {
        var change = self
        change.id = id
        return .confChange(change)
    }
}

extension Request: MembershipProposal {
    func logged(id: UInt64) -> LoggedRequest {
        var request = self
        request.id = id
        return .v2(request)
    }
}
