import NIOCore


/// Linearizable reads waiting on the node (etcd's linearizableReadLoop): reads queue up, one
/// read-index request covers all queued at once, and each batch runs once the index raft
/// confirmed is applied here. Lives on the node's loop.
struct LinearizableReads {
    struct Read {
        let run: () -> Void
        let fail: (ServerError) -> Void
        /// When a read still queued (no leader to ask) gives up.
        var deadline = NIODeadline.distantFuture
    }

    private var queued: [Read] = []
    /// The batch whose read index is being asked for, by its request context.
    private var inFlight: (context: [UInt8], reads: [Read])?
    /// Batches with a confirmed index, waiting for the apply to reach it.
    private var confirmed: [(index: UInt64, reads: [Read])] = []

    var hasQueued: Bool { !queued.isEmpty && inFlight == nil }

    mutating func enqueue(_ read: Read) { queued.append(read) }

    /// Moves the queued reads into a new batch under `id` and returns its context, unless one
    /// is in flight. The ID must be unique across the cluster (a request ID): the leader
    /// ignores a read index whose context is already pending, whichever member sent it.
    mutating func startBatch(id: () -> UInt64) -> [UInt8]? {
        guard inFlight == nil, !queued.isEmpty else { return nil }
        let context = withUnsafeBytes(of: id().bigEndian) { Array($0) }
        inFlight = (context, queued)
        queued = []
        return context
    }

    /// Raft answered the read index for `context`.
    mutating func confirm(context: [UInt8], index: UInt64) {
        guard let batch = inFlight, batch.context == context else { return }
        inFlight = nil
        confirmed.append((index, batch.reads))
    }

    /// Runs the batches whose index has been applied.
    mutating func runApplied(upTo applied: UInt64) {
        guard !confirmed.isEmpty else { return }
        var waiting: [(index: UInt64, reads: [Read])] = []
        var ready: [Read] = []
        for batch in confirmed {
            if batch.index <= applied { ready += batch.reads } else { waiting.append(batch) }
        }
        confirmed = waiting
        for read in ready { read.run() }
    }

    /// Fails the batch still waiting for `context`; true when there was one.
    mutating func expire(context: [UInt8]) -> Bool {
        guard let batch = inFlight, batch.context == context else { return false }
        inFlight = nil
        for read in batch.reads { read.fail(.timeout) }
        return true
    }

    /// Fails the queued reads whose deadline passed before a read index could be asked for.
    mutating func expireQueued(now: NIODeadline) {
        guard queued.contains(where: { $0.deadline <= now }) else { return }
        for read in queued where read.deadline <= now { read.fail(.timeout) }
        queued.removeAll { $0.deadline <= now }
    }

    /// Fails every read not yet confirmed (the leader changed, or the node stops).
    mutating func failAll(_ error: ServerError) {
        if let batch = inFlight {
            for read in batch.reads { read.fail(error) }
            inFlight = nil
        }
        if error == .stopped {
            for read in queued { read.fail(error) }
            for batch in confirmed { for read in batch.reads { read.fail(error) } }
            queued = []
            confirmed = []
        }
    }
}
