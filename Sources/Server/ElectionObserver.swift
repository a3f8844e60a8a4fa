import Foundation
import GRPC
import NIOCore
import Wire

/// etcd's Election.Observe on one stream (concurrency.Election's observe): the leader (the
/// oldest key under name/) and each put on its key until it is deleted, then the next leader;
/// while there is none, the first put under name/. A read or watch that fails ends the stream
/// with OK, as etcd's does. Lives on the node's loop.
final class ElectionObserver: @unchecked Sendable {
    let client: LocalClient
    let prefix: Data
    let call: GRPCServerCall
    let context: CallContext
    /// The watcher in use, cancelled when the client goes away.
    private var watchID: Int64?

    private init(client: LocalClient, name: Data, call: GRPCServerCall, context: CallContext) {
        self.client = client
        prefix = name + Data("/".utf8)
        self.call = call
        self.context = context
    }

    /// Serves one Observe call: the request, then responses until the client goes away.
    static func serve(_ call: GRPCServerCall, client: LocalClient) {
        let node = client.node
        let context = CallContext()
        nonisolated(unsafe) var request: LeaderRequest?
        call.onMessage = { bytes in
            do throws(GRPCStatus) { request = try LeaderRequest(grpcMessage: bytes) } catch { call.finish(error) }
        }
        call.onEnd = {
            guard let request else {
                call.finish(GRPCStatus(code: .internal, message: "grpc: no request message"))
                return
            }
            node.eventLoop.execute {
                let observer = ElectionObserver(client: client, name: request.name, call: call, context: context)
                guard context.onEnd({ observer.stop() }) != nil else { return }
                observer.observeLeader()
            }
        }
        call.onClose = { node.eventLoop.execute { context.end() } }
    }

    private func stop() {
        if let watchID { client.watches.cancel(watchID) }
        watchID = nil
    }

    /// The stream is over from this side.
    private func finish() {
        stop()
        context.end()
        call.finish(.ok)
    }

    private func send(_ header: ResponseHeader?, _ kv: KeyValue?) {
        call.send(LeaderResponse(header: header, kv: kv).serializedBytes())
    }

    private func observeLeader() {
        client.range(LocalClient.firstCreated(under: prefix)).whenComplete { [self] result in
            guard !context.isEnded else { return }
            guard case .success(let response) = result else { return finish() }
            if let kv = response.kvs.first {
                announce(response.header, kv)
            } else {
                awaitFirstPut(from: response.header?.revision ?? 0)
            }
        }
    }

    /// No leader: the first put under the prefix makes one; its header has that put's revision.
    private func awaitFirstPut(from revision: Int64) {
        watch(WatchCreateRequest(key: prefix, rangeEnd: LocalClient.prefixEnd(prefix), startRevision: revision)) { [self] response in
            guard let put = response.events.first(where: { $0.type == .put }), let kv = put.kv else { return }
            stop()
            var header = response.header
            header?.revision = kv.modRevision
            announce(header, kv)
        }
    }

    private func announce(_ header: ResponseHeader?, _ kv: KeyValue) {
        send(header, kv)
        followLeader(kv.key, from: (header?.revision ?? 0) + 1)
    }

    /// Each put on the leader's key goes out; its delete hands over to the next leader.
    private func followLeader(_ key: Data, from revision: Int64) {
        watch(WatchCreateRequest(key: key, startRevision: revision)) { [self] response in
            for event in response.events {
                if event.type == .delete {
                    stop()
                    observeLeader()
                    return
                }
                send(response.header, event.kv)
            }
        }
    }

    /// Watches with `handle` for its events; a watcher that is cancelled ends the stream.
    private func watch(_ request: WatchCreateRequest, _ handle: @escaping (WatchResponse) -> Void) {
        watchID = client.watches.watch(request) { [self] response in
            if response.canceled {
                watchID = nil
                finish()
            } else {
                handle(response)
            }
        }
    }
}
