import GRPC
import KV
import NIOCore
import Wire

/// etcd's `etcdserverpb.Lease` service on a member. Grants and revokes go through raft; the
/// lease list is this member's; keep-alives and remaining TTLs are the leader's (the primary
/// lessor's), asked for through `LeaderForwarder`; the leader revokes what expires (`LeaseExpiry`).
struct LeaseService {
    let node: MemberLoop
    let leader: LeaderForwarder
    let expiry: LeaseExpiry

    /// Also starts the expiry loop, which acts only while this member leads.
    init(node: MemberLoop) {
        self.node = node
        leader = LeaderForwarder(node: node)
        expiry = LeaseExpiry(node: node)
    }

    var methods: [String: GRPCMethod] {
        let node = node
        let leader = leader
        return [
            "/etcdserverpb.Lease/LeaseGrant": GRPCServer.unary { (request: LeaseGrantRequest, reply) in grant(request, reply) },
            "/etcdserverpb.Lease/LeaseRevoke": GRPCServer.unary { (request: LeaseRevokeRequest, reply: @escaping @Sendable (Result<LeaseRevokeResponse, GRPCStatus>) -> Void) in
                node.propose(request) { reply($0.mapError(\.status)) }
            },
            "/etcdserverpb.Lease/LeaseKeepAlive": { call in LeaseKeepAliveStream.serve(call, node: node, leader: leader) },
            "/etcdserverpb.Lease/LeaseTimeToLive": { call in
                let forwarded = LeaderForwarder.isForwarded(call.headers)
                GRPCServer.unary { (request: LeaseTimeToLiveRequest, reply) in
                    node.eventLoop.flatSubmit {
                        leader.timeToLive(request, forwarded: forwarded).map { response in
                            // etcd fills the header on the member that was asked, whoever answered.
                            var response = response
                            response.header = node.header()
                            return response
                        }
                    }.whenComplete { reply($0.mapError(KVService.status)) }
                }(call)
            },
            "/etcdserverpb.Lease/LeaseLeases": GRPCServer.unary { (_: LeaseLeasesRequest, reply) in
                node.eventLoop.submit { node.leases() }.whenComplete { reply($0.mapError(KVService.status)) }
            },
        ]
    }

    /// etcd's LeaseGrant: an ID of 0 asks the server to pick one, a positive one made as
    /// request IDs are.
    private func grant(_ request: LeaseGrantRequest, _ reply: @escaping @Sendable (Result<LeaseGrantResponse, GRPCStatus>) -> Void) {
        let node = node
        node.eventLoop.execute {
            var request = request
            while request.id == 0 { request.id = Int64(node.ids.next() & (1 << 63 - 1)) }
            node.propose(request) { reply($0.mapError(\.status)) }
        }
    }
}
