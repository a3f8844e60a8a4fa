import Foundation
import KV
import NIOCore
import Raft
import Wire

/// Proposals: what raft is asked to log, batched (`ProposalBatch`), and the waiters that
/// answer each once it is applied here, or fail it when it is dropped or times out. On the
/// node's loop unless said otherwise.
extension MemberLoop {
    /// How often proposals past their deadline are looked for: a proposal fails at most this
    /// late (its timeout is seconds).
    static let expiryInterval: TimeAmount = .milliseconds(50)

    /// Proposes `proposal` through raft; `done` runs on the node's loop with its answer once
    /// its entry is applied here, or with why it failed (refused, dropped, timed out).
    func propose<P: Proposal>(_ proposal: P, done: @escaping @Sendable (Result<P.Response, ServerError>) -> Void) {
        guard eventLoop.inEventLoop else { return eventLoop.execute { [self] in propose(proposal, done: done) } }
        guard !stopped else { return done(.failure(.stopped)) }
        let id = ids.next()
        let logged = proposal.logged(id: id)
        if case .kv(let request) = logged, !kv.fitsQuota(request) {
            // etcd's quota servers: refused, the alarm raised first.
            return raiseNoSpace { done(.failure(.kv(.noSpace))) }
        }
        let entry: RaftProposal
        switch logged {
        case .kv(let request): entry = .entry(request.serializedBytes())
        case .v2(let request): entry = .entry(request.serializedBytes())
        case .confChange(let change): entry = .confChange(change)
        }
        if case .entry(let bytes) = entry, bytes.count > options.maxRequestBytes { return done(.failure(.requestTooLarge)) }
        let header = header(revision:)
        waiters.add(ProposalWaiters.Waiter(
            done: { result in
                done(result.flatMap { applied in
                    P.answer(applied, header: header).map { .success($0) } ?? .failure(.answeredAnotherRequest)
                })
            },
            leadAtStart: lead, deadline: .now() + options.requestTimeout), id: id)
        if lead == 0 {
            waiters.park(entry, id: id)
        } else {
            hand(entry, id: id)
        }
    }

    func hand(_ proposal: RaftProposal, id: UInt64) {
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

    /// Hands the batch to raft unless a leader holds it for the entries in flight (logged,
    /// not yet committed); a hold that begins sets a timer to end it. A follower's batch goes
    /// at once: the leader's holds it with the rest.
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
        for (id, proposal) in waiters.unpark() { hand(proposal, id: id) }
    }

    /// Fails the proposals past their deadline. etcd's parseProposeCtxErr: a timeout names a
    /// leader change or a lost leader when that is what happened.
    func expireProposals(now: NIODeadline) {
        for waiter in waiters.takeExpired(now: now) {
            metrics.proposalsFailed.increment()
            waiter.done(.failure(waiter.leadAtStart != lead || lead == 0 ? .timeoutDueToLeaderFail : .timeout))
        }
    }

    func trigger(_ id: UInt64, _ result: Result<AppliedAnswer, ServerError>) {
        waiters.take(id)?.done(result)
    }
}
