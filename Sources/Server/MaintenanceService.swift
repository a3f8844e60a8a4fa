import GRPC
import KV
import NIOCore
import Raft
import Wire

/// etcd's `etcdserverpb.Maintenance` service on a member: Status, Hash and HashKV, alarms
/// (through raft), Defragment, Snapshot and MoveLeader.
struct MaintenanceService {
    let node: MemberLoop

    var methods: [String: GRPCMethod] {
        let node = node
        return [
            "/etcdserverpb.Maintenance/Status": GRPCServer.unary { (_: StatusRequest, reply) in
                node.statusResponse().whenComplete { reply($0.mapError { KVService.status($0) }) }
            },
            "/etcdserverpb.Maintenance/Hash": GRPCServer.unary { (_: HashRequest, reply: @escaping @Sendable (Result<HashResponse, GRPCStatus>) -> Void) in
                node.hashResponse().whenComplete { reply($0.mapError { KVService.status($0) }) }
            },
            "/etcdserverpb.Maintenance/HashKV": GRPCServer.unary { (request: HashKVRequest, reply) in
                // A local read of this member's store, as etcd's HashKV is.
                KVService.read(on: node, linearizable: false, reply) { kv in try kv.hashKV(request) }
            },
            "/etcdserverpb.Maintenance/Alarm": GRPCServer.unary { (request: AlarmRequest, reply: @escaping @Sendable (Result<AlarmResponse, GRPCStatus>) -> Void) in
                // Every action goes through raft, GET too, as etcd's; the answer has no header.
                node.propose(request) { reply($0.mapError(\.status)) }
            },
            "/etcdserverpb.Maintenance/Defragment": GRPCServer.unary { (_: DefragmentRequest, reply: @escaping @Sendable (Result<DefragmentResponse, GRPCStatus>) -> Void) in
                node.eventLoop.submit { () -> DefragmentResponse in
                    node.defragment()
                    return DefragmentResponse()
                }.whenComplete { reply($0.mapError { KVService.status($0) }) }
            },
            "/etcdserverpb.Maintenance/Snapshot": { call in SnapshotStream.serve(call, node: node) },
            "/etcdserverpb.Maintenance/MoveLeader": GRPCServer.unary { (request: MoveLeaderRequest, reply) in
                node.moveLeader(to: request.targetID).whenComplete { reply($0.mapError { KVService.status($0) }) }
            },
        ]
    }
}

extension MemberLoop {
    /// etcd's Hash is a CRC-32C of its whole backend. Ferry's database is the KV snapshot
    /// (keys, revisions, leases, alarms, users and roles), so its Hash is the CRC-32C of those
    /// bytes: equal on every member that has applied the same entries. The state is taken on
    /// the loop and summed off it.
    func hashResponse() -> EventLoopFuture<HashResponse> {
        eventLoop.flatSubmit { [self] in
            let image = kv.snapshotImage()
            let header = header()
            let promise = eventLoop.makePromise(of: HashResponse.self)
            BackgroundWork.run {
                var hash: UInt32 = 0
                image.write { (raw: UnsafeRawBufferPointer) in hash = CRC32C.update(hash, raw) }
                promise.succeed(HashResponse(header: header, hash: hash))
            }
            return promise.futureResult
        }
    }

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
                    promise.succeed(MoveLeaderResponse(header: header()))
                } else if NIODeadline.now() > deadline {
                    task.cancel()
                    promise.fail(ServerError.timeoutLeaderTransfer)
                }
            }
            return promise.futureResult
        }
    }
}
