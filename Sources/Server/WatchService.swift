import GRPC
import KV
import NIOCore
import Wire

/// etcd's `etcdserverpb.Watch` service: one bidirectional stream carries many watchers.
/// Watchers live in the KV state machine on the node's loop; after every apply the router
/// hands each stream the responses of its watchers while the stream has room, so a slow
/// client never holds up apply (see `WatchRouter`).
struct WatchService {
    let node: MemberLoop
    let router: WatchRouter

    /// Bytes a stream may have queued toward its client before it takes no more events.
    static let queueLimit = 1 << 20

    var methods: [String: GRPCMethod] {
        let node = node
        let router = router
        return [
            "/etcdserverpb.Watch/Watch": { call in
                let stream = WatchStream(call: call, queueLimit: WatchService.queueLimit)
                node.eventLoop.execute { router.open(stream) }
                call.onMessage = { bytes in
                    do throws(GRPCStatus) {
                        let request = try WatchRequest(grpcMessage: bytes)
                        node.eventLoop.execute { router.handle(request, from: stream) }
                    } catch {
                        call.finish(error)
                    }
                }
                // As etcd's, the client's end of sending leaves the stream open: its watchers
                // go on until the client cancels the call or goes away.
                call.onEnd = {}
                call.onClose = { node.eventLoop.execute { router.drop(stream) } }
            },
        ]
    }
}
