import GRPC
import NIOCore
import Raft
import Wire

/// The parts of etcd's `etcdserverpb.Maintenance` service a Ferry member has: Status,
/// HashKV, the alarm list and MoveLeader.
struct MaintenanceService {
    let node: RaftNode

    var methods: [String: GRPCMethod] {
        let node = node
        return [
            "/etcdserverpb.Maintenance/Status": GRPCServer.unary { (_: StatusRequest, reply) in
                node.statusResponse().whenComplete { reply($0.mapError { KVService.status($0) }) }
            },
            "/etcdserverpb.Maintenance/HashKV": GRPCServer.unary { (request: HashKVRequest, reply) in
                // A local read of this member's store, as etcd's HashKV is.
                KVService.read(on: node, linearizable: false, reply) { kv in try kv.hashKV(request) }
            },
            "/etcdserverpb.Maintenance/Alarm": GRPCServer.unary { (request: AlarmRequest, reply: @escaping @Sendable (Result<AlarmResponse, GRPCStatus>) -> Void) in
                guard request.action == .get else {
                    reply(.failure(GRPCStatus(code: 12, message: "ferry: alarms are not raised or cleared by hand yet")))
                    return
                }
                // Ferry raises no alarm (no quota, no corruption check yet): the list is empty.
                node.eventLoop.submit { AlarmResponse(header: node.header(revision: node.kv.revision)) }
                    .whenComplete { reply($0.mapError { KVService.status($0) }) }
            },
            "/etcdserverpb.Maintenance/MoveLeader": GRPCServer.unary { (request: MoveLeaderRequest, reply) in
                node.moveLeader(to: request.targetID).whenComplete { reply($0.mapError { KVService.status($0) }) }
            },
        ]
    }
}

extension RaftNode {
    /// etcd's MoveLeader: only the leader may hand over, to a voting member; answers once
    /// the target leads, or with a timeout.
    func moveLeader(to target: UInt64) -> EventLoopFuture<MoveLeaderResponse> {
        eventLoop.flatSubmit { [self] in
            guard role == .leader else { return eventLoop.makeFailedFuture(ServerError.notLeader) }
            guard let member = membership.members[target], !member.isLearner else {
                return eventLoop.makeFailedFuture(ServerError.badLeaderTransferee)
            }
            let promise = eventLoop.makePromise(of: MoveLeaderResponse.self)
            raw.transferLeader(to: target)
            scheduleReady()
            let deadline = NIODeadline.now() + options.requestTimeout
            eventLoop.scheduleRepeatedTask(initialDelay: options.tick, delay: options.tick) { [weak self] task in
                guard let self else { return task.cancel() }
                if lead == target {
                    task.cancel()
                    promise.succeed(MoveLeaderResponse(header: header(revision: kv.revision)))
                } else if NIODeadline.now() > deadline {
                    task.cancel()
                    promise.fail(ServerError.timeoutLeaderTransfer)
                }
            }
            return promise.futureResult
        }
    }
}
