import GRPC
import KV
import NIOCore
import Wire

/// etcd's `etcdserverpb.Watch` service: one bidirectional stream carries many watchers.
/// Watchers live in the KV state machine on the node's loop; after every apply the router
/// hands each stream the responses of its watchers, so a slow client never holds up apply
/// (its bytes wait in its own HTTP/2 stream).
struct WatchService {
    let node: RaftNode
    let router: WatchRouter

    var methods: [String: GRPCMethod] {
        let node = node
        let router = router
        return [
            "/etcdserverpb.Watch/Watch": { call in
                let stream = WatchStream(call: call)
                call.onMessage = { bytes in
                    guard let request = try? WatchRequest(serializedBytes: bytes) else {
                        call.finish(GRPCStatus(code: 13, message: "grpc: error unmarshalling request"))
                        return
                    }
                    node.eventLoop.execute { router.handle(request, from: stream) }
                }
                call.onEnd = { call.finish(.ok) }
                call.onClose = { node.eventLoop.execute { router.drop(stream) } }
            },
        ]
    }
}

/// One client's watch stream: the call and the watchers it created.
final class WatchStream: @unchecked Sendable {
    let call: GRPCServerCall
    /// Touched on the node's loop only.
    var watchers: Set<Int64> = []

    init(call: GRPCServerCall) { self.call = call }
}

/// Routes the state machine's watch responses to the streams owning the watchers. Touched
/// on the node's loop only.
final class WatchRouter: @unchecked Sendable {
    let node: RaftNode
    private var owners: [Int64: WatchStream] = [:]
    private var progressTimer: RepeatedTask?

    /// etcd's progress notification interval for watchers created with progress_notify.
    static let progressInterval: TimeAmount = .minutes(10)

    init(node: RaftNode) {
        self.node = node
        node.eventLoop.execute { [self] in
            node.afterApply.append { [weak self] in self?.deliver() }
            progressTimer = node.eventLoop.scheduleRepeatedTask(initialDelay: Self.progressInterval, delay: Self.progressInterval) {
                [weak self] _ in
                guard let self else { return }
                node.kv.notifyWatchProgress(requestedByClient: false)
                deliver()
            }
        }
    }

    func handle(_ request: WatchRequest, from stream: WatchStream) {
        switch request.requestUnion {
        case .createRequest(let create)?:
            let id = node.kv.watch(create)
            owners[id] = stream
            stream.watchers.insert(id)
        case .cancelRequest(let cancel)?:
            // Only the stream's own watchers; an unknown ID is ignored, as etcd ignores it.
            if stream.watchers.contains(cancel.watchID) { node.kv.cancelWatch(cancel.watchID) }
        case .progressRequest?:
            node.kv.notifyWatchProgress(requestedByClient: true)
        case nil:
            break
        }
        deliver()
    }

    /// The stream ended: its watchers go with it.
    func drop(_ stream: WatchStream) {
        for id in stream.watchers {
            owners[id] = nil
            node.kv.cancelWatch(id)
        }
        stream.watchers = []
        deliver()
    }

    /// Sends every waiting response to its stream, with the member's header.
    func deliver() {
        for id in node.kv.watchersWithResponses {
            let responses = node.kv.takeWatchResponses(id)
            guard let stream = owners[id] else { continue }
            for var response in responses {
                response.header = node.header(revision: response.header?.revision ?? node.kv.revision)
                stream.call.send(response.serializedBytes())
                if response.canceled {
                    owners[id] = nil
                    stream.watchers.remove(id)
                }
            }
        }
    }
}
