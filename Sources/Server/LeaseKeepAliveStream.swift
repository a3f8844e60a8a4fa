import GRPC
import NIOCore
import Wire

/// One `Lease/LeaseKeepAlive` stream, as etcd's leaseKeepAlive loop serves it: each request
/// is answered in turn, in order, with the lease's new TTL (0 for a lease that does not
/// exist); the client's end of the stream ends the call once everything before it is
/// answered; a renewal that fails (no leader, timeout) ends the call with etcd's error.
/// Touched on the node's loop only.
final class LeaseKeepAliveStream: @unchecked Sendable {
    let call: GRPCServerCall
    let node: MemberLoop
    let leader: LeaderForwarder
    /// Passed on by another member: answered here only if this member leads.
    let forwarded: Bool
    /// Requests not yet answered; nil stands for the client's end of the stream.
    private var waiting: [LeaseKeepAliveRequest?] = []
    private var renewing = false
    private var ended = false

    /// etcd's clients mark their keep-alive streams so (`hasleader: true`): such a stream is
    /// refused while the member knows no leader.
    static let requireLeaderHeader = "hasleader"

    private init(call: GRPCServerCall, node: MemberLoop, leader: LeaderForwarder) {
        self.call = call
        self.node = node
        self.leader = leader
        forwarded = LeaderForwarder.isForwarded(call.headers)
    }

    /// Serves the call (a GRPCMethod).
    static func serve(_ call: GRPCServerCall, node: MemberLoop, leader: LeaderForwarder) {
        let stream = LeaseKeepAliveStream(call: call, node: node, leader: leader)
        let requireLeader = call.headers[requireLeaderHeader] == "true"
        node.eventLoop.execute { stream.start(requireLeader: requireLeader) }
        call.onMessage = { bytes in
            do throws(GRPCStatus) {
                let request = try LeaseKeepAliveRequest(grpcMessage: bytes)
                node.eventLoop.execute { stream.received(request) }
            } catch {
                call.finish(error)
                node.eventLoop.execute { stream.end() }
            }
        }
        call.onEnd = { node.eventLoop.execute { stream.received(nil) } }
        call.onClose = { node.eventLoop.execute { stream.end() } }
    }

    private func start(requireLeader: Bool) {
        if requireLeader, node.lead == 0 { finish(ServerError.noLeader.status) }
    }

    private func received(_ request: LeaseKeepAliveRequest?) {
        guard !ended else { return }
        waiting.append(request)
        next()
    }

    /// The call is over: nothing more is answered.
    private func end() {
        ended = true
        waiting = []
    }

    private func finish(_ status: GRPCStatus) {
        end()
        call.finish(status)
    }

    /// Answers bytes the client has not taken yet before the stream stops answering, as
    /// etcd's stops when its send blocks: a client that does not read holds no more than this.
    static let unreadLimit = 1 << 20

    /// Renews the first request waiting, unless one is being renewed.
    private func next() {
        guard !renewing, !ended, !waiting.isEmpty else { return }
        renewing = true
        call.pendingBytes.hop(to: node.eventLoop).whenSuccess { [self] unread in
            renewing = false
            if unread > Self.unreadLimit {
                node.eventLoop.scheduleTask(in: .milliseconds(10)) { [self] in next() }
            } else {
                renewFirst()
            }
        }
    }

    private func renewFirst() {
        guard !renewing, !ended, !waiting.isEmpty else { return }
        guard let request = waiting.removeFirst() else { return finish(.ok) }
        renewing = true
        // As etcd's, the header is made before the renewal: a keep-alive never carries a
        // revision after one that revoked its lease.
        let header = node.header()
        leader.renew(request, forwarded: forwarded).whenComplete { [self] result in
            renewing = false
            guard !ended else { return }
            switch result {
            case .success(let ttl):
                call.send(LeaseKeepAliveResponse(header: header, id: request.id, ttl: ttl).serializedBytes())
                // A local renewal completes at once: go on from the loop, not from this frame.
                node.eventLoop.execute { [self] in next() }
            case .failure(let error):
                finish(KVService.status(error))
            }
        }
    }
}
