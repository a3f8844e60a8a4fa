import GRPC
import HTTP2
import KV
import NIOCore
import Wire

/// What only the leader can answer: lease keep-alives and remaining TTLs (the primary
/// lessor is the leader's), learner promotions (only the leader knows a learner's progress).
/// The leader answers itself. Any other member asks the leader, as etcd's LeaseRenew,
/// LeaseTimeToLive and PromoteMember do, retrying until the request timeout: it waits for a
/// leader while none is known (then "no leader"), and asks the one it knows through the
/// leader's own Lease service on its advertised client URL (etcd uses its peer URL), on one
/// gRPC connection kept per leader. Touched on the node's loop only; the connection runs
/// on that loop too.
final class LeaderForwarder: @unchecked Sendable {
    let node: MemberLoop
    /// The connection to the leader last asked, by member ID and URL.
    private var connection: (member: UInt64, url: String, client: EventLoopFuture<GRPCClient>)?

    /// Marks a request one member passed to the member it took for the leader. A member that
    /// is not the leader answers such a request with an error (the asker tries again) rather
    /// than passing it on, so two members with different ideas of the leader cannot bounce it.
    static let forwardedHeader = "ferry-forwarded"

    static func isForwarded(_ headers: [HTTP2Header]) -> Bool { headers[forwardedHeader] != nil }

    init(node: MemberLoop) { self.node = node }

    /// Renews lease `request.id` (a keep-alive) and gives its new TTL; 0 when the lease does
    /// not exist or has expired (etcd's keep-alive answer, not an error). On the loop.
    func renew(_ request: LeaseKeepAliveRequest, forwarded: Bool) -> EventLoopFuture<Int64> {
        if node.role == .leader {
            do throws(KVError) {
                return node.eventLoop.makeSucceededFuture(try node.keepAlive(request))
            } catch .notPrimary {
                // Not yet (or no longer) primary: ask whoever leads now.
            } catch {
                return node.eventLoop.makeFailedFuture(ServerError.kv(error))
            }
        }
        if forwarded { return node.eventLoop.makeFailedFuture(ServerError.kv(.notPrimary)) }
        return ask("/etcdserverpb.Lease/LeaseKeepAlive", request).map { (response: LeaseKeepAliveResponse) in response.ttl }
    }

    /// The remaining TTL, granted TTL and (when asked) keys of lease `request.id`; TTL -1 when
    /// it does not exist. Only the leader runs lease clocks, so only it knows what remains.
    func timeToLive(_ request: LeaseTimeToLiveRequest, forwarded: Bool) -> EventLoopFuture<LeaseTimeToLiveResponse> {
        if node.role == .leader { return node.eventLoop.makeSucceededFuture(node.timeToLive(request)) }
        if forwarded { return node.eventLoop.makeFailedFuture(ServerError.kv(.notPrimary)) }
        return ask("/etcdserverpb.Lease/LeaseTimeToLive", request)
    }

    // MARK: Asking the leader

    func ask<Request: WireMessage, Response: WireMessage>(_ path: String, _ request: Request) -> EventLoopFuture<Response> {
        let promise = node.eventLoop.makePromise(of: [UInt8].self)
        attempt(path, request.serializedBytes(), deadline: .now() + node.options.requestTimeout, promise)
        return promise.futureResult.flatMapThrowing { bytes in try Response(grpcMessage: bytes) }
    }

    /// One try at asking the leader; the next follows after a failure until `deadline`.
    private func attempt(_ path: String, _ bytes: [UInt8], deadline: NIODeadline, _ promise: EventLoopPromise<[UInt8]>) {
        guard !node.stopped else { return promise.fail(ServerError.stopped) }
        let now = NIODeadline.now()
        guard node.lead != 0, node.lead != node.options.memberID,
              let url = node.membership.members[node.lead]?.clientURLs.first else {
            // etcd's waitLeader: look again after an election timeout, "no leader" at the deadline.
            guard now < deadline else { return promise.fail(ServerError.noLeader) }
            let election = node.options.tick * Int64(node.options.electionTicks)
            retry(after: min(election, deadline - now), path, bytes, deadline, promise)
            return
        }
        guard now < deadline else { return promise.fail(ServerError.timeout) }
        let member = node.lead
        client(member, url).flatMap { [self] client in
            call(client, path, bytes, timeout: deadline - now)
        }.whenComplete { [self] result in
            switch result {
            case .success(let answer):
                promise.succeed(answer)
            case .failure(let error):
                // The client's own statuses ("grpc: ...") mean the connection is gone or never
                // was: the next try reconnects. A status from the leader keeps the connection,
                // and is the answer unless it says the asked member no longer leads.
                if let status = error as? GRPCStatus, status.message.hasPrefix("grpc:"), connection?.member == member {
                    connection = nil
                } else if let status = error as? GRPCStatus, !Self.meansNotLeader(status) {
                    return promise.fail(status)
                }
                node.logger.debug("asking the leader failed; trying again", metadata: [
                    "leader": "\(hex(member))", "url": "\(url)", "error": "\(error)",
                ])
                retry(after: node.options.tick, path, bytes, deadline, promise)
            }
        }
    }

    /// The answers of a member that was asked as the leader but does not lead (any more).
    static func meansNotLeader(_ status: GRPCStatus) -> Bool {
        status == ServerError.notLeader.status || status == ServerError.kv(.notPrimary).status
            || status == ServerError.noLeader.status || status == ServerError.leaderChanged.status
    }

    private func retry(after delay: TimeAmount, _ path: String, _ bytes: [UInt8], _ deadline: NIODeadline, _ promise: EventLoopPromise<[UInt8]>) {
        node.eventLoop.scheduleTask(in: delay) { [self] in attempt(path, bytes, deadline: deadline, promise) }
    }

    /// The connection to `member` at `url`, made when there is none to it.
    private func client(_ member: UInt64, _ url: String) -> EventLoopFuture<GRPCClient> {
        if let connection, connection.member == member, connection.url == url { return connection.client }
        // A connection to a former leader closes once its last call ends (the client's deinit).
        guard let address = PeerURL.hostPort(url) else {
            return node.eventLoop.makeFailedFuture(GRPCStatus.unavailable("grpc: the leader's client URL is not host:port: \(url)"))
        }
        let client = GRPCClient.connect(host: address.host, port: address.port, group: node.eventLoop)
        connection = (member, url, client)
        return client
    }

    /// One request message to a method of the leader, one answer back; the request is marked
    /// as forwarded.
    private func call(_ client: GRPCClient, _ path: String, _ bytes: [UInt8], timeout: TimeAmount) -> EventLoopFuture<[UInt8]> {
        let promise = node.eventLoop.makePromise(of: [UInt8].self)
        // Both callbacks run on the client's loop (the node's), one after the other.
        nonisolated(unsafe) var answer: [UInt8]?
        let call = client.makeCall(
            path: path, timeout: timeout, metadata: [HTTP2Header(Self.forwardedHeader, "1")],
            onMessage: { answer = answer ?? $0 },
            onFinish: { status in
                if status.code != .ok {
                    promise.fail(status)
                } else if let answer {
                    promise.succeed(answer)
                } else {
                    promise.fail(GRPCStatus.internalError("grpc: the leader ended the call without an answer"))
                }
            })
        call.send(bytes)
        call.closeSend()
        return promise.futureResult
    }
}
