import Foundation
import GRPC
import KV
import NIOCore
import Wire

/// The member's own client, as etcd's v3client is for its lock and election servers: the KV
/// and lease calls they make (writes through raft, linearizable reads, the request checks of
/// the KV service) and clientv3/concurrency's waits on watchers of this member's state
/// machine. Call on the node's loop; futures complete there.
struct LocalClient: Sendable {
    let node: MemberLoop
    let checks: RequestChecks
    let watches: WatchRouter

    /// concurrency.NewSession's TTL for a session that brings no lease.
    static let sessionTTL: Int64 = 60

    func txn(_ request: TxnRequest) -> EventLoopFuture<TxnResponse> {
        write(request, { () throws(KVError) in try checks.check(request) })
    }

    func delete(_ key: Data) -> EventLoopFuture<DeleteRangeResponse> {
        let request = DeleteRangeRequest(key: key)
        return write(request, { () throws(KVError) in try checks.check(request) })
    }

    /// A linearizable range, as clientv3's Get.
    func range(_ request: RangeRequest) -> EventLoopFuture<RangeResponse> {
        let promise = node.eventLoop.makePromise(of: RangeResponse.self)
        KVService.read(on: node, linearizable: true, { promise.completeWith($0.mapError { $0 }) }) { kv in try kv.range(request) }
        return promise.futureResult
    }

    /// The lease of concurrency.NewSession(WithLease(lease)): that one, or for lease 0 a new
    /// one of `sessionTTL` seconds (etcd's servers orphan it: it lives until it expires).
    func sessionLease(_ lease: Int64) -> EventLoopFuture<Int64> {
        guard lease == 0 else { return node.eventLoop.makeSucceededFuture(lease) }
        var request = LeaseGrantRequest(ttl: Self.sessionTTL)
        while request.id == 0 { request.id = Int64(node.ids.next() & (1 << 63 - 1)) }  // as LeaseGrant picks one
        return write(request, {}).map(\.id)
    }

    /// concurrency's waitDeletes: waits until no key under `prefix` created at or before
    /// `maxCreateRevision` is left, watching the newest such key for its delete in turn;
    /// answers the header of the read that found none.
    func waitDeletes(prefix: Data, maxCreateRevision: Int64, context: CallContext) -> EventLoopFuture<ResponseHeader> {
        let newest = RangeRequest(key: prefix, rangeEnd: Self.prefixEnd(prefix), limit: 1, sortOrder: .descend,
                                  sortTarget: .create, maxCreateRevision: maxCreateRevision)
        return range(newest).flatMap { response in
            // As clientv3's Get under a cancelled context: the read does not count.
            guard !context.isEnded else { return node.eventLoop.makeFailedFuture(GRPCStatus.cancelled()) }
            guard let key = response.kvs.first?.key else {
                return node.eventLoop.makeSucceededFuture(response.header ?? ResponseHeader())
            }
            return waitDelete(key: key, revision: response.header?.revision ?? 0, context: context).flatMap {
                waitDeletes(prefix: prefix, maxCreateRevision: maxCreateRevision, context: context)
            }
        }
    }

    /// concurrency's waitDelete: a watcher on `key` from `revision` until it sees a delete.
    private func waitDelete(key: Data, revision: Int64, context: CallContext) -> EventLoopFuture<Void> {
        let promise = node.eventLoop.makePromise(of: Void.self)
        let watches = watches
        var watchID: Int64 = 0
        guard let ending = context.onEnd({
            watches.cancel(watchID)
            promise.fail(GRPCStatus.cancelled())
        }) else {
            promise.fail(GRPCStatus.cancelled())
            return promise.futureResult
        }
        watchID = watches.watch(WatchCreateRequest(key: key, startRevision: revision)) { response in
            if response.events.contains(where: { $0.type == .delete }) {
                watches.cancel(response.watchID)
                context.forget(ending)
                promise.succeed()
            } else if response.canceled {
                context.forget(ending)
                promise.fail(GRPCStatus(code: .unknown, message: "lost watcher waiting for delete"))
            }
        }
        return promise.futureResult
    }

    /// Proposes `request` after `check`, answering with its response once it is applied.
    private func write<Request: KVProposal>(_ request: Request, _ check: () throws(KVError) -> Void) -> EventLoopFuture<Request.Response> {
        let promise = node.eventLoop.makePromise(of: Request.Response.self)
        do throws(KVError) {
            try check()
        } catch {
            promise.fail(ServerError.kv(error))
            return promise.futureResult
        }
        node.propose(request) { promise.completeWith($0.mapError { $0 }) }
        return promise.futureResult
    }

    /// What etcd's lock and election servers answer for an error of the calls they make:
    /// clientv3 turns etcd's errors into errors gRPC does not know, which it answers as
    /// Unknown with their text.
    static func clientStatus(_ error: Error) -> GRPCStatus {
        if let status = error as? GRPCStatus {
            return status.code == GRPCStatus.cancelled().code ? status : GRPCStatus(code: .unknown, message: status.message)
        }
        return GRPCStatus(code: .unknown, message: KVService.status(error).message)
    }

    /// clientv3's WithPrefix: the range end of every key starting with `prefix`.
    static func prefixEnd(_ prefix: Data) -> Data {
        var end = [UInt8](prefix)
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return Data(end)
            }
            end.removeLast()
        }
        return Data([0])
    }

    /// clientv3's WithFirstCreate under `prefix`: its oldest key.
    static func firstCreated(under prefix: Data) -> RangeRequest {
        RangeRequest(key: prefix, rangeEnd: prefixEnd(prefix), limit: 1, sortOrder: .ascend, sortTarget: .create)
    }

    /// The key a session's lease owns under a lock's or an election's prefix: prefix/hex(lease).
    static func ownKey(_ prefix: Data, lease: Int64) -> Data {
        prefix + Data(String(lease, radix: 16).utf8)
    }

    /// A unary method whose work may wait: `body` runs on the node's loop with a context that
    /// ends when the client goes away; its errors are answered as etcd's servers answer them.
    static func method<Request: WireMessage, Response: WireMessage>(
        on node: MemberLoop, _ body: @escaping @Sendable (Request, CallContext) -> EventLoopFuture<Response>
    ) -> GRPCMethod {
        { call in
            let context = CallContext()
            call.onClose = { node.eventLoop.execute { context.end() } }
            GRPCServer.unary { (request: Request, reply: @escaping @Sendable (Result<Response, GRPCStatus>) -> Void) in
                node.eventLoop.flatSubmit { body(request, context) }.whenComplete { reply($0.mapError(clientStatus)) }
            }(call)
        }
    }
}
