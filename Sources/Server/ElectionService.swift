import Foundation
import GRPC
import NIOCore
import Wire

/// etcd's `v3electionpb.Election` service (etcdserver/api/v3election): clientv3/concurrency's
/// Election run by the member for its client. A campaigner's key is name/hex(lease); the
/// leader is the oldest key under name/; Proclaim and Resign act only while the leader key
/// still has the creation revision the campaign got.
struct ElectionService {
    let client: LocalClient

    static let notLeader = GRPCStatus(code: .unknown, message: "election: not leader")
    static let noLeader = GRPCStatus(code: .unknown, message: "election: no leader")
    static let missingLeaderKey = GRPCStatus(code: .unknown, message: "\"leader\" field must be provided")

    var methods: [String: GRPCMethod] {
        let client = client
        return [
            "/v3electionpb.Election/Campaign": LocalClient.method(on: client.node) { (request: CampaignRequest, context) -> EventLoopFuture<CampaignResponse> in
                client.sessionLease(request.lease).flatMap { lease in Self.campaign(request, lease: lease, client, context) }
            },
            "/v3electionpb.Election/Proclaim": LocalClient.method(on: client.node) { (request: ProclaimRequest, _) -> EventLoopFuture<ProclaimResponse> in
                Self.proclaim(request, client)
            },
            "/v3electionpb.Election/Leader": LocalClient.method(on: client.node) { (request: LeaderRequest, _) -> EventLoopFuture<LeaderResponse> in
                client.range(LocalClient.firstCreated(under: request.name + Data("/".utf8))).flatMapThrowing { response in
                    guard let kv = response.kvs.first else { throw Self.noLeader }
                    return LeaderResponse(header: response.header, kv: kv)
                }
            },
            "/v3electionpb.Election/Observe": { call in ElectionObserver.serve(call, client: client) },
            "/v3electionpb.Election/Resign": LocalClient.method(on: client.node) { (request: ResignRequest, _) -> EventLoopFuture<ResignResponse> in
                Self.resign(request, client)
            },
        ]
    }

    /// Proclaim as etcd's server runs it: a session on the leader's lease, then Proclaim.
    private static func proclaim(_ request: ProclaimRequest, _ client: LocalClient) -> EventLoopFuture<ProclaimResponse> {
        guard let leader = request.leader else { return client.node.eventLoop.makeFailedFuture(missingLeaderKey) }
        return client.sessionLease(leader.lease).flatMap { lease in
            proclaim(leader, lease: lease, value: request.value, client).map { ProclaimResponse(header: $0) }
        }
    }

    /// Resign as etcd's server runs it: a session on the leader's lease, then Resign.
    private static func resign(_ request: ResignRequest, _ client: LocalClient) -> EventLoopFuture<ResignResponse> {
        guard let leader = request.leader else { return client.node.eventLoop.makeFailedFuture(missingLeaderKey) }
        return client.sessionLease(leader.lease).flatMap { _ in
            resign(leader, client).map { ResignResponse(header: $0) }
        }
    }

    /// concurrency.Election.Campaign: one txn creates the key unless the lease has it
    /// already (then its value is proclaimed if it differs), then waits for the older keys'
    /// deletes. A client that goes away while waiting resigns.
    private static func campaign(_ request: CampaignRequest, lease: Int64, _ client: LocalClient, _ context: CallContext) -> EventLoopFuture<CampaignResponse> {
        let prefix = request.name + Data("/".utf8)
        let key = LocalClient.ownKey(prefix, lease: lease)
        let txn = TxnRequest(
            compare: [Compare(result: .equal, target: .create, key: key, targetUnion: .createRevision(0))],
            success: [RequestOp(request: .requestPut(PutRequest(key: key, value: request.value, lease: lease)))],
            failure: [RequestOp(request: .requestRange(RangeRequest(key: key)))])
        let loop = client.node.eventLoop
        return client.txn(txn).flatMap { (response: TxnResponse) -> EventLoopFuture<CampaignResponse> in
            let existing = response.succeeded ? nil : response.responses.first?.range?.kvs.first
            let leader = LeaderKey(name: request.name, key: key, rev: existing?.createRevision ?? response.header?.revision ?? 0, lease: lease)
            let proclaimed: EventLoopFuture<Void>
            if let existing, existing.value != request.value {
                proclaimed = proclaim(leader, lease: lease, value: request.value, client).map { _ in }
                    .flatMapError { error in resigning(leader, client, error) }
            } else {
                proclaimed = loop.makeSucceededVoidFuture()
            }
            return proclaimed.flatMap { () -> EventLoopFuture<CampaignResponse> in
                client.waitDeletes(prefix: prefix, maxCreateRevision: leader.rev - 1, context: context).map { _ in }
                    .flatMapError { error in context.isEnded ? resigning(leader, client, error) : loop.makeFailedFuture(error) }
                    .map { CampaignResponse(header: response.header, leader: leader) }
            }
        }
    }

    /// concurrency.Election.Proclaim: puts `value` on the leader key while it has the
    /// campaign's creation revision; answers the txn's header.
    private static func proclaim(_ leader: LeaderKey, lease: Int64, value: Data, _ client: LocalClient) -> EventLoopFuture<ResponseHeader?> {
        let txn = TxnRequest(
            compare: [Compare(result: .equal, target: .create, key: leader.key, targetUnion: .createRevision(leader.rev))],
            success: [RequestOp(request: .requestPut(PutRequest(key: leader.key, value: value, lease: lease)))])
        return client.txn(txn).flatMapThrowing { response in
            guard response.succeeded else { throw notLeader }
            return response.header
        }
    }

    /// concurrency.Election.Resign: deletes the leader key while it has the campaign's
    /// creation revision (a leadership already gone is no error); answers the txn's header.
    private static func resign(_ leader: LeaderKey, _ client: LocalClient) -> EventLoopFuture<ResponseHeader?> {
        let txn = TxnRequest(
            compare: [Compare(result: .equal, target: .create, key: leader.key, targetUnion: .createRevision(leader.rev))],
            success: [RequestOp(request: .requestDeleteRange(DeleteRangeRequest(key: leader.key)))])
        return client.txn(txn).map(\.header)
    }

    /// Resigns, whatever that answers, then fails with `error`.
    private static func resigning(_ leader: LeaderKey, _ client: LocalClient, _ error: Error) -> EventLoopFuture<Void> {
        resign(leader, client).flatMapThrowing { _ in throw error }.flatMapErrorThrowing { _ in throw error }
    }
}
