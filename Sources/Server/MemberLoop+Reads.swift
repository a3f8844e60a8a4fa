import KV
import NIOCore

/// Reads: serializable at once, linearizable after a read index the leader confirmed is
/// applied here (etcd's linearizableReadLoop), one read index for every read queued.
extension MemberLoop {
    /// Runs `body` against the state machine on the node's loop: at once for a serializable
    /// read, after a read index confirmed by the leader is applied for a linearizable one.
    public func read<T: Sendable>(linearizable: Bool, _ body: @escaping @Sendable (KVStateMachine) throws -> T) -> EventLoopFuture<T> {
        eventLoop.flatSubmit { [self] in
            let promise = eventLoop.makePromise(of: T.self)
            let run = { [kv] in promise.completeWith(Result { try body(kv) }) }
            guard !stopped else {
                promise.fail(ServerError.stopped)
                return promise.futureResult
            }
            if !linearizable {
                run()
            } else {
                reads.enqueue(LinearizableReads.Read(run: run, fail: { promise.fail($0) },
                                                     deadline: .now() + options.requestTimeout))
                requestReadIndex()
            }
            return promise.futureResult
        }
    }

    /// Asks raft for a read index for the reads queued, one request for all of them.
    func requestReadIndex() {
        // Without a leader raft would drop the request: keep the reads queued until one is known.
        guard lead != 0, let context = reads.startBatch(id: { ids.next() }) else { return }
        raw.readIndex(context: context)
        eventLoop.scheduleTask(in: options.requestTimeout) { [weak self] in
            guard let self else { return }
            if reads.expire(context: context) {
                logger.warning("timed out waiting for read index response (local node might have slow network)")
                requestReadIndex()
            }
        }
        scheduleReady()
    }
}
