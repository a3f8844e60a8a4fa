import GRPC
import NIOCore
import Wire

/// etcd's `etcdserverpb.Cluster` service as far as a member serves it now: `MemberList`.
struct ClusterInfoService {
    let node: RaftNode

    var methods: [String: GRPCMethod] {
        let node = node
        return [
            "/etcdserverpb.Cluster/MemberList": GRPCServer.unary { (_: MemberListRequest, reply) in
                node.eventLoop.submit {
                    MemberListResponse(
                        header: node.header(revision: node.kv.revision),
                        members: node.membership.sorted.map {
                            Member(id: $0.id, name: $0.name, peerURLs: $0.peerURLs, clientURLs: $0.clientURLs, isLearner: $0.isLearner)
                        })
                }.whenComplete { reply($0.mapError { KVService.status($0) }) }
            },
        ]
    }
}
