import KV
import NIOCore
import Wire

/// The leader's half of lease expiry (etcd's lessor runLoop and revokeExpiredLeases): every
/// 500 ms, while this member leads, each lease its lessor finds expired is revoked through
/// raft, so every member deletes its keys at the same point of the log. One revoke at a time
/// per lease; a revoke that fails is tried again on a later round. Touched on the node's loop
/// only.
final class LeaseExpiry: @unchecked Sendable {
    let node: MemberLoop
    /// Leases whose revoke is proposed and not yet applied or failed.
    private var revoking: Set<Int64> = []

    /// etcd's lessor looks for expired leases every 500 ms...
    static let interval: TimeAmount = .milliseconds(500)
    /// ... and revokes at most leaseRevokeRate / 2 of them each time (1,000 a second).
    static let revokesPerRound = 500

    /// Starts the loop; it ends when the node stops.
    init(node: MemberLoop) {
        self.node = node
        node.eventLoop.execute { [self] in
            node.eventLoop.scheduleRepeatedTask(initialDelay: Self.interval, delay: Self.interval) { [self] task in
                guard !node.stopped else { return task.cancel() }
                revokeExpired()
            }
        }
    }

    private func revokeExpired() {
        guard node.role == .leader else { return }
        let expired = node.expiredLeases().filter { !revoking.contains($0) }.prefix(Self.revokesPerRound)
        for id in expired {
            revoking.insert(id)
            node.propose(LeaseRevokeRequest(id: id)) { [self] result in
                revoking.remove(id)
                // A lease revoked meanwhile (by a client) is not worth a warning.
                if case .failure(let error) = result, error != .kv(.leaseNotFound) {
                    node.logger.warning("failed to revoke lease", metadata: [
                        "lease-id": "\(hex(UInt64(bitPattern: id), digits: 16))", "error": "\(error)",
                    ])
                }
            }
        }
    }
}
