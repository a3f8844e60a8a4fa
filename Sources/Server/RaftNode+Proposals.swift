import Foundation
import KV
import NIOCore
import Raft
import Wire

/// Proposals: what raft is asked to log, batched (`ProposalBatch`), and the waiters that
/// answer each once it is applied here, or fail it when it is dropped or times out. On the
/// node's loop unless said otherwise.
extension RaftNode {
    /// What raft is asked to log.
    enum Proposal {
        case entry([UInt8])
        case confChange(ConfChange)
    }

    /// A proposal waiting to be applied.
    struct Waiter {
        /// Called once, on the loop, with what the apply answered or why it failed.
        let done: (Result<KVResponse?, Error>) -> Void
        let leadAtStart: UInt64
        let deadline: NIODeadline
    }

    /// How often proposals past their deadline are looked for: a proposal fails at most this
    /// late (its timeout is seconds).
    static let expiryInterval: TimeAmount = .milliseconds(50)

    /// Proposes a KV request; the future completes on the node's loop once it is applied here.
    public func propose(_ request: InternalRaftRequest) -> EventLoopFuture<KVResponse> {
        let promise = eventLoop.makePromise(of: KVResponse.self)
        propose(request) { promise.completeWith($0) }
        return promise.futureResult
    }

    /// Proposes a KV request; `done` runs on the node's loop once it is applied here (or has
    /// failed). The form without futures, for the write path's every request.
    public func propose(_ request: InternalRaftRequest, done: @escaping @Sendable (Result<KVResponse, Error>) -> Void) {
        eventLoop.execute { [self] in
            if let refusal = refusalOverQuota(request) { return refusal.whenComplete(done) }
            var request = request
            let id = ids.next()
            request.header = RequestHeader(id: id)
            propose(bytes: request.serializedBytes(), id: id) { result in
                done(result.flatMap { response in
                    guard let response else { return .failure(ServerError.kv(.unsupportedRequest("no KV response"))) }
                    return .success(response)
                })
            }
        }
    }

    /// Proposes encoded entry bytes under request ID `id`. On the loop.
    func propose(bytes: [UInt8], id: UInt64) -> EventLoopFuture<KVResponse?> {
        let promise = eventLoop.makePromise(of: KVResponse?.self)
        propose(bytes: bytes, id: id) { promise.completeWith($0) }
        return promise.futureResult
    }

    private func propose(bytes: [UInt8], id: UInt64, done: @escaping (Result<KVResponse?, Error>) -> Void) {
        guard bytes.count <= options.maxRequestBytes else { return done(.failure(ServerError.requestTooLarge)) }
        propose(.entry(bytes), id: id, done: done)
    }

    /// Proposes a membership change and completes once it is applied here (failing with
    /// etcd's refusal when the membership refused it at apply time).
    public func proposeConfChange(_ change: ConfChange) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            var change = change
            change.id = ids.next()
            let promise = eventLoop.makePromise(of: Void.self)
            propose(.confChange(change), id: change.id) { promise.completeWith($0.map { _ in () }) }
            return promise.futureResult
        }
    }

    private func propose(_ proposal: Proposal, id: UInt64, done: @escaping (Result<KVResponse?, Error>) -> Void) {
        guard !stopped else { return done(.failure(ServerError.stopped)) }
        waiters[id] = Waiter(done: done, leadAtStart: lead, deadline: .now() + options.requestTimeout)
        if lead == 0 {
            // As etcd's node does, a proposal waits for a leader (until its timeout) rather
            // than being dropped by a follower that knows none.
            parked.append((id, proposal))
        } else {
            hand(proposal, id: id)
        }
    }

    private func hand(_ proposal: Proposal, id: UInt64) {
        switch proposal {
        case .entry(let bytes):
            batch.add(Data(bytes), id: id)
        case .confChange(let change):
            proposeBatch()  // keeps the order proposals arrived in
            do { try raw.proposeConfChange(change) } catch {
                metrics.proposalsFailed.increment()
                trigger(id, .failure(.proposalDropped))
            }
        }
        scheduleReady()
    }

    /// Hands the batch to raft unless a leader holds it for the entries in flight; a hold
    /// that begins sets a timer to end it.
    func maybeProposeBatch() {
        let inFlight = role == .leader && storage.lastIndex > committed
        switch batch.decide(inFlight: inFlight, now: .now()) {
        case .propose:
            proposeBatch()
        case .hold(let started):
            guard started else { return }
            eventLoop.scheduleTask(in: ProposalBatch.hold) { [weak self] in self?.scheduleReady() }
        }
    }

    /// Hands the entries proposed since the last one to raft, as one proposal.
    func proposeBatch() {
        guard !batch.isEmpty else { return }
        let (ids, entries) = batch.take()
        do { try raw.propose(entries) } catch {
            for id in ids {
                metrics.proposalsFailed.increment()
                trigger(id, .failure(.proposalDropped))
            }
        }
    }

    /// Proposals parked while no leader was known, handed to raft once one is.
    func proposeParked() {
        let ready = parked
        parked = []
        for (id, proposal) in ready where waiters[id] != nil { hand(proposal, id: id) }
    }

    /// Fails the proposals past their deadline. etcd's parseProposeCtxErr: a timeout names a
    /// leader change or a lost leader when that is what happened.
    func expireProposals(now: NIODeadline) {
        let expired = waiters.filter { $0.value.deadline <= now }
        for (id, waiter) in expired.sorted(by: { $0.key < $1.key }) {
            waiters[id] = nil
            metrics.proposalsFailed.increment()
            waiter.done(.failure(waiter.leadAtStart != lead || lead == 0 ? ServerError.timeoutDueToLeaderFail : ServerError.timeout))
        }
    }

    func trigger(_ id: UInt64, _ result: Result<KVResponse?, ServerError>) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.done(result.mapError { $0 as Error })
    }
}
