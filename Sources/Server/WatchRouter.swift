import Foundation
import GRPC
import KV
import NIOCore
import Wire

/// Routes the KV state machine's watch responses to the watch streams and the member's own
/// listeners (lock and election waits), as etcd's watch server does for its streams. Touched
/// on the node's loop only.
///
/// A stream whose client does not read stops taking its watchers' responses once it holds
/// `WatchStream.queueLimit` bytes; their events then wait in the KV (bounded per watcher,
/// past which the watcher falls behind) and are caught up from the history once the client
/// reads, so a slow client never holds up apply nor makes the member hold its backlog.
final class WatchRouter: @unchecked Sendable {
    let node: MemberLoop
    private var streams: [ObjectIdentifier: WatchStream] = [:]
    /// The stream each KV watcher's responses go to.
    private var owners: [Int64: WatchStream] = [:]
    /// Watchers of the member's own services, by KV watch ID.
    private var listeners: [Int64: (WatchResponse) -> Void] = [:]
    private var progressTimer: RepeatedTask?
    private var passScheduled = false
    /// Streams with answers of their own held behind their watchers' queued responses.
    private var holding: [ObjectIdentifier: WatchStream] = [:]

    /// etcd's progress notification interval for watchers created with progress_notify.
    static let progressInterval: TimeAmount = .minutes(10)
    /// etcd's grpcOverheadBytes: what its watch server adds to --max-request-bytes as the
    /// fragment limit.
    static let grpcOverheadBytes = 512 * 1024
    /// Bytes of history a listener is caught up by in one pass.
    static let listenerCatchUpBytes = 1 << 20
    static let duplicateIDReason = "mvcc: duplicate watch ID provided on the WatchStream"
    static let emptyRangeReason = "mvcc: watcher range is empty"

    init(node: MemberLoop) {
        self.node = node
        node.eventLoop.execute { [self] in
            node.afterApply.append { [weak self] in self?.deliver() }
            progressTimer = node.eventLoop.scheduleRepeatedTask(initialDelay: Self.progressInterval, delay: Self.progressInterval) {
                [weak self] _ in
                guard let self else { return }
                node.kv.notifyWatchProgress()
                deliver()
            }
        }
    }

    /// Where a response bigger than this is split for a watcher created with `fragment`.
    var fragmentLimit: Int { node.options.maxRequestBytes + Self.grpcOverheadBytes }

    // MARK: Streams

    func open(_ stream: WatchStream) {
        streams[ObjectIdentifier(stream)] = stream
    }

    func handle(_ request: WatchRequest, from stream: WatchStream) {
        guard !stream.closed else { return }
        switch request.requestUnion {
        case .createRequest(let create)?:
            self.create(create, on: stream)
        case .cancelRequest(let cancel)?:
            // An ID not in use is ignored, as etcd ignores it.
            guard let watcher = stream.watchers[cancel.watchID] else { break }
            stream.release(cancel.watchID)
            if !node.kv.cancelWatch(watcher) {
                // Cancelled by compaction already: etcd still answers the client's cancel.
                stream.forget(watcher)
                owners[watcher] = nil
                sendControl(WatchResponse(header: node.header(), watchID: cancel.watchID, canceled: true), on: stream)
            }
        case .progressRequest?:
            // etcd 3.4 answers at once with the store's revision under watch ID -1, meant for
            // every watcher of the stream; what is waiting for the stream goes first.
            deliver()
            sendControl(WatchResponse(header: node.header(), watchID: -1), on: stream)
        case nil:
            break
        }
        deliver()
    }

    /// etcd's watch server's create: the key and range normalised as it does, a range that
    /// is empty or an ID in use answered with a canceled create (watch ID -1).
    private func create(_ request: WatchCreateRequest, on stream: WatchStream) {
        var request = request
        if request.key.isEmpty { request.key = Data([0]) }
        let fromKey = request.rangeEnd == Data([0])
        if !request.rangeEnd.isEmpty, !fromKey, !(request.key.lexicographicallyPrecedes(request.rangeEnd)) {
            return refuse(Self.emptyRangeReason, on: stream)
        }
        guard let id = stream.newID(requested: request.watchID) else {
            return refuse(Self.duplicateIDReason, on: stream)
        }
        let watcher = node.kv.watch(request)
        stream.add(id, watcher: watcher, fragment: request.fragment)
        owners[watcher] = stream
    }

    private func refuse(_ reason: String, on stream: WatchStream) {
        sendControl(WatchResponse(header: node.header(), watchID: -1, created: true, canceled: true,
                                  cancelReason: reason), on: stream)
    }

    /// Sends an answer of the stream's own after whatever its watchers have queued before it
    /// (a paused stream's created responses among them); held until then.
    private func sendControl(_ response: WatchResponse, on stream: WatchStream) {
        stream.heldControl.append(response.serializedBytes())
        holding[ObjectIdentifier(stream)] = stream
        releaseControl(of: stream)
    }

    private func releaseControl(of stream: WatchStream) {
        guard !stream.watchIDs.keys.contains(where: node.kv.hasWatchResponses) else { return }
        for message in stream.heldControl { stream.send(message) }
        stream.heldControl = []
        holding[ObjectIdentifier(stream)] = nil
    }

    /// The stream ended: its watchers go with it, and what waited for them.
    func drop(_ stream: WatchStream) {
        streams[ObjectIdentifier(stream)] = nil
        holding[ObjectIdentifier(stream)] = nil
        for watcher in stream.close() {
            owners[watcher] = nil
            node.kv.cancelWatch(watcher)
            _ = node.kv.takeWatchResponses(watcher)
        }
    }

    /// Bytes the member holds for watch streams: queued toward clients, and waiting in the KV.
    var queuedBytes: Int {
        streams.values.reduce(0) { $0 + $1.queuedBytes } + node.kv.watchQueuedBytes
    }

    // MARK: Listeners

    /// Creates a watcher whose responses (with the member's header) go to `listener`, from a
    /// later turn of the loop on, never from inside this call.
    func watch(_ request: WatchCreateRequest, listener: @escaping (WatchResponse) -> Void) -> Int64 {
        let id = node.kv.watch(request)
        listeners[id] = listener
        schedulePass()
        return id
    }

    /// Ends a watcher made by `watch(_:listener:)`; its listener hears nothing more.
    func cancel(_ id: Int64) {
        guard listeners.removeValue(forKey: id) != nil else { return }
        node.kv.cancelWatch(id)
        _ = node.kv.takeWatchResponses(id)
    }

    // MARK: Delivery

    /// Hands every waiting response to its stream or listener and catches unsynced watchers
    /// up, as far as their streams have room.
    func deliver() {
        var sentTo: [ObjectIdentifier: WatchStream] = [:]
        var more = false
        for watcher in Set(node.kv.watchersWithResponses + node.kv.watchersBehind).sorted() {
            if listeners[watcher] != nil {
                pass(node.kv.takeWatchResponses(watcher), to: watcher)
                if node.kv.isWatchBehind(watcher) {
                    node.kv.catchUpWatch(watcher, maxBytes: Self.listenerCatchUpBytes)
                    pass(node.kv.takeWatchResponses(watcher), to: watcher)
                    more = more || node.kv.isWatchBehind(watcher)
                }
                continue
            }
            guard let stream = owners[watcher] else {
                _ = node.kv.takeWatchResponses(watcher)  // its stream is gone
                continue
            }
            if stream.room > 0 {
                send(node.kv.takeWatchResponses(watcher), of: watcher, on: stream)
                if node.kv.isWatchBehind(watcher), stream.room > 0 {
                    node.kv.catchUpWatch(watcher, maxBytes: stream.room)
                    send(node.kv.takeWatchResponses(watcher), of: watcher, on: stream)
                }
                sentTo[ObjectIdentifier(stream)] = stream
            }
            if node.kv.isWatchBehind(watcher) || node.kv.hasWatchResponses(watcher) {
                stream.waitForRoom(on: node.eventLoop) { [weak self] in self?.deliver() }
            }
        }
        for stream in holding.values { releaseControl(of: stream) }
        for stream in sentTo.values { stream.refresh(on: node.eventLoop) }
        if more { schedulePass() }
    }

    /// Runs `deliver` on a later turn of the loop (once however often asked before then).
    private func schedulePass() {
        guard !passScheduled else { return }
        passScheduled = true
        node.eventLoop.execute { [self] in
            passScheduled = false
            deliver()
        }
    }

    private func pass(_ responses: [WatchResponse], to watcher: Int64) {
        for var response in responses {
            guard let listener = listeners[watcher] else { return }
            response.header = node.header(revision: response.header?.revision ?? node.kv.revision)
            if response.canceled { listeners[watcher] = nil }
            listener(response)
        }
    }

    /// Sends the responses of KV watcher `watcher` under the stream's watch ID, split as
    /// etcd splits them for a watcher created with `fragment`.
    private func send(_ responses: [WatchResponse], of watcher: Int64, on stream: WatchStream) {
        for var response in responses {
            guard let id = stream.watchIDs[watcher] else { return }
            response.watchID = id
            response.header = node.header(revision: response.header?.revision ?? node.kv.revision)
            if stream.fragmented.contains(id) {
                for message in WatchFragments.messages(response, limit: fragmentLimit) { stream.send(message) }
            } else {
                stream.send(response.serializedBytes())
            }
            // A compaction cancel leaves the ID in use until the client cancels it.
            if response.canceled, response.compactRevision == 0 {
                stream.forget(watcher)
                owners[watcher] = nil
            }
        }
    }
}
