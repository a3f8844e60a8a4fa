import Foundation
import GRPC
import NIOCore
import Wire

/// etcd's `etcdserverpb.Cluster` service: the member list, and membership changes proposed
/// as raft conf changes with etcd's checks before proposing (--strict-reconfig-check) and
/// its validation when applying (`Membership.refusal(of:)`). As etcd's, its headers carry no
/// revision.
struct ClusterService {
    let node: MemberLoop
    let leader: LeaderForwarder
    let checks: ReconfigurationChecks

    init(node: MemberLoop, strictReconfigCheck: Bool) {
        self.node = node
        leader = LeaderForwarder(node: node)
        checks = ReconfigurationChecks(node: node, strict: strictReconfigCheck)
    }

    var methods: [String: GRPCMethod] {
        let node = node
        let leader = leader
        let checks = checks
        return [
            "/etcdserverpb.Cluster/MemberList": GRPCServer.unary { (_: MemberListRequest, reply) in
                node.eventLoop.submit {
                    MemberListResponse(header: node.header(revision: 0), members: Self.members(node))
                }.whenComplete { reply($0.mapError(KVService.status)) }
            },
            "/etcdserverpb.Cluster/MemberAdd": GRPCServer.unary { (request: MemberAddRequest, reply: @escaping @Sendable (Result<MemberAddResponse, GRPCStatus>) -> Void) in
                guard !request.peerURLs.isEmpty, request.peerURLs.allSatisfy({ (try? PeerURL.check($0, flag: "")) != nil }) else {
                    return reply(.failure(ServerError.membership(.badURLs).status))
                }
                // etcd names a member added through the API by its URLs and the time of adding.
                let id = ClusterIdentity.memberID(peerURLs: request.peerURLs, clusterToken: "", addedAt: Date())
                let member = ClusterMember(id: id, peerURLs: request.peerURLs, isLearner: request.isLearner)
                let change = ConfChange(type: request.isLearner ? .confChangeAddLearnerNode : .confChangeAddNode,
                                        nodeID: id, context: Data(member.json.utf8))
                checks.mayAdd(member).flatMap { Self.propose(node, change) }.map {
                    MemberAddResponse(header: node.header(revision: 0),
                                      member: Member(id: id, peerURLs: member.peerURLs, isLearner: member.isLearner),
                                      members: Self.members(node))
                }.whenComplete { reply($0.mapError(KVService.status)) }
            },
            "/etcdserverpb.Cluster/MemberRemove": GRPCServer.unary { (request: MemberRemoveRequest, reply) in
                checks.mayRemove(request.id).flatMap {
                    Self.propose(node, ConfChange(type: .confChangeRemoveNode, nodeID: request.id))
                }.map {
                    MemberRemoveResponse(header: node.header(revision: 0), members: Self.members(node))
                }.whenComplete { reply($0.mapError(KVService.status)) }
            },
            "/etcdserverpb.Cluster/MemberUpdate": GRPCServer.unary { (request: MemberUpdateRequest, reply: @escaping @Sendable (Result<MemberUpdateResponse, GRPCStatus>) -> Void) in
                guard request.peerURLs.allSatisfy({ (try? PeerURL.check($0, flag: "")) != nil }) else {
                    return reply(.failure(ServerError.membership(.badURLs).status))
                }
                let member = ClusterMember(id: request.id, peerURLs: request.peerURLs)
                Self.propose(node, ConfChange(type: .confChangeUpdateNode, nodeID: request.id, context: Data(member.json.utf8))).map {
                    MemberUpdateResponse(header: node.header(revision: 0), members: Self.members(node))
                }.whenComplete { reply($0.mapError(KVService.status)) }
            },
            "/etcdserverpb.Cluster/MemberPromote": { call in
                let forwarded = LeaderForwarder.isForwarded(call.headers)
                GRPCServer.unary { (request: MemberPromoteRequest, reply) in
                    node.eventLoop.flatSubmit { () -> EventLoopFuture<MemberPromoteResponse> in
                        guard node.role == .leader else {
                            // Only the leader knows how far the learner is: ask it, as etcd does.
                            if forwarded { return node.eventLoop.makeFailedFuture(ServerError.notLeader) }
                            return leader.ask("/etcdserverpb.Cluster/MemberPromote", request).map { (response: MemberPromoteResponse) in
                                var response = response
                                response.header = node.header(revision: 0)
                                return response
                            }
                        }
                        let change = ConfChange(type: .confChangeAddNode, nodeID: request.id,
                                                context: Data(Membership.promotionContext(id: request.id).utf8))
                        return checks.mayPromote(request.id).flatMap { Self.propose(node, change) }.map {
                            MemberPromoteResponse(header: node.header(revision: 0), members: Self.members(node))
                        }
                    }.whenComplete { reply($0.mapError(KVService.status)) }
                }(call)
            },
        ]
    }

    /// The members as the API lists them. On the node's loop.
    static func members(_ node: MemberLoop) -> [Member] {
        node.membership.sorted.map {
            Member(id: $0.id, name: $0.name, peerURLs: $0.peerURLs, clientURLs: $0.clientURLs, isLearner: $0.isLearner)
        }
    }

    /// Proposes a membership change; completes once it is applied here, failing with etcd's
    /// refusal when the membership refused it then.
    private static func propose(_ node: MemberLoop, _ change: ConfChange) -> EventLoopFuture<Void> {
        let promise = node.eventLoop.makePromise(of: Void.self)
        node.propose(change) { promise.completeWith($0.mapError { $0 }) }
        return promise.futureResult
    }
}
