import Foundation
import GRPC
import NIOCore
import Wire

/// etcd's `v3lockpb.Lock` service (etcdserver/api/v3lock): clientv3/concurrency's Mutex run
/// by the member for its client. Lock puts name/hex(lease) and waits until every older key
/// under name/ is gone; Unlock deletes the key.
struct LockService {
    let client: LocalClient

    var methods: [String: GRPCMethod] {
        let client = client
        return [
            "/v3lockpb.Lock/Lock": LocalClient.method(on: client.node) { (request: LockRequest, context) -> EventLoopFuture<LockResponse> in
                client.sessionLease(request.lease).flatMap { lease in Self.lock(request.name, lease: lease, client, context) }
            },
            "/v3lockpb.Lock/Unlock": LocalClient.method(on: client.node) { (request: UnlockRequest, _) -> EventLoopFuture<UnlockResponse> in
                client.delete(request.key).map { UnlockResponse(header: $0.header) }
            },
        ]
    }

    /// concurrency.Mutex.Lock: one txn creates the key unless the lease has it already and
    /// reads the oldest holder; when that is someone else, waits for the older keys' deletes.
    /// A wait that fails (the client went away) deletes the key again.
    private static func lock(_ name: Data, lease: Int64, _ client: LocalClient, _ context: CallContext) -> EventLoopFuture<LockResponse> {
        let prefix = name + Data("/".utf8)
        let key = LocalClient.ownKey(prefix, lease: lease)
        let owner = RequestOp(request: .requestRange(LocalClient.firstCreated(under: prefix)))
        let txn = TxnRequest(
            compare: [Compare(result: .equal, target: .create, key: key, targetUnion: .createRevision(0))],
            success: [RequestOp(request: .requestPut(PutRequest(key: key, lease: lease))), owner],
            failure: [RequestOp(request: .requestRange(RangeRequest(key: key))), owner])
        return client.txn(txn).flatMap { response in
            var revision = response.header?.revision ?? 0
            if !response.succeeded, let mine = response.responses.first?.range?.kvs.first { revision = mine.createRevision }
            let oldest = response.responses.last?.range?.kvs.first
            if oldest == nil || oldest?.createRevision == revision {
                return client.node.eventLoop.makeSucceededFuture(LockResponse(header: response.header, key: key))
            }
            return client.waitDeletes(prefix: prefix, maxCreateRevision: revision - 1, context: context)
                .map { LockResponse(header: $0, key: key) }
                .flatMapError { error in
                    client.delete(key).flatMapThrowing { _ in throw error }.flatMapErrorThrowing { _ in throw error }
                }
        }
    }
}

extension ResponseOp {
    /// The range response of a txn operation, if it is one.
    var range: RangeResponse? {
        if case .responseRange(let r)? = response { r } else { nil }
    }
}
