import GRPC
import NIOCore
import Wire

/// One client's watch stream (etcd's serverWatchStream): its watch IDs and the KV watchers
/// behind them, and an estimate of the bytes it has queued toward the client, by which the
/// router stops taking its events out of the KV while the client does not read. Touched on
/// the node's loop only.
final class WatchStream: @unchecked Sendable {
    let call: GRPCServerCall
    /// Bytes queued toward the client past which the stream takes no more events.
    let queueLimit: Int

    /// The KV watcher behind each watch ID in use. An ID stays in use after a compaction
    /// cancelled its watcher, until the client cancels it, as etcd's watchStream keeps it.
    private(set) var watchers: [Int64: Int64] = [:]
    /// The watch ID of each KV watcher whose responses still go to this stream (a cancelled
    /// one's until its canceled response is out).
    private(set) var watchIDs: [Int64: Int64] = [:]
    /// Watch IDs created with `fragment`.
    private(set) var fragmented: Set<Int64> = []
    /// Answers of the stream's own (refused creates, progress, a late cancel) held until its
    /// watchers' responses queued before them are out, so that they keep their order, as on
    /// etcd's control channel.
    var heldControl: [[UInt8]] = []
    /// The next automatic watch ID to try (etcd's watchStream.nextID).
    private var nextID: Int64 = 0
    private(set) var closed = false

    /// Bytes handed to the call so far; `reported*` are the call's queued bytes as measured
    /// after `reportedMark` of them had been handed over.
    private var sentBytes = 0
    private var reportedMark = 0
    private var reportedPending = 0
    private var measuring = 0
    private var waitingForRoom = false

    init(call: GRPCServerCall, queueLimit: Int) {
        self.call = call
        self.queueLimit = queueLimit
    }

    // MARK: Watch IDs

    /// The watch ID for a create asking for `requested` (0: the next free one, as etcd's
    /// AutoWatchID); nil when the ID asked for is in use.
    func newID(requested: Int64) -> Int64? {
        if requested != 0 { return watchers[requested] == nil ? requested : nil }
        while watchers[nextID] != nil { nextID += 1 }
        defer { nextID += 1 }
        return nextID
    }

    func add(_ id: Int64, watcher: Int64, fragment: Bool) {
        watchers[id] = watcher
        watchIDs[watcher] = id
        if fragment { fragmented.insert(id) }
    }

    /// Watch ID `id` is free again (the client cancelled it).
    func release(_ id: Int64) {
        watchers[id] = nil
        fragmented.remove(id)
    }

    /// KV watcher `watcher` sends this stream nothing more.
    func forget(_ watcher: Int64) {
        watchIDs[watcher] = nil
    }

    /// Ends the stream; returns the KV watchers it had.
    func close() -> [Int64] {
        closed = true
        defer {
            watchers = [:]
            watchIDs = [:]
        }
        return Array(Set(watchers.values).union(watchIDs.keys))
    }

    // MARK: Queued bytes

    func send(_ message: [UInt8]) {
        sentBytes += message.count
        call.send(message)
    }

    /// What the stream has queued toward the client, by the last measure plus what was sent
    /// since.
    var queuedBytes: Int { reportedPending + sentBytes - reportedMark }

    var room: Int { max(0, queueLimit - queuedBytes) }

    /// Refreshes `queuedBytes` from the connection unless a measure is under way already.
    func refresh(on loop: EventLoop) {
        if measuring == 0 { measure(on: loop) {} }
    }

    /// Runs `then` once there is room: measures until the client has read enough, every
    /// 10 ms (etcd retries its slow watchers as often). One wait at a time.
    func waitForRoom(on loop: EventLoop, then: @escaping @Sendable () -> Void) {
        guard !waitingForRoom, !closed else { return }
        waitingForRoom = true
        poll(on: loop, then: then)
    }

    private func poll(on loop: EventLoop, then: @escaping @Sendable () -> Void) {
        measure(on: loop) { [self] in
            guard !closed else { return }
            if room > 0 {
                waitingForRoom = false
                then()
            } else {
                loop.scheduleTask(in: .milliseconds(10)) { self.poll(on: loop, then: then) }
            }
        }
    }

    /// Asks the connection how many bytes the stream still holds; records it on `loop`.
    private func measure(on loop: EventLoop, then: @escaping @Sendable () -> Void) {
        measuring += 1
        let mark = sentBytes
        // The call's loop runs this after the sends handed over before it.
        call.pendingBytes.whenSuccess { pending in
            loop.execute { [self] in
                measuring -= 1
                if mark >= reportedMark {
                    reportedMark = mark
                    reportedPending = pending
                }
                then()
            }
        }
    }
}
