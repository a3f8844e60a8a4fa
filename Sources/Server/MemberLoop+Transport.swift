import Foundation
import NIOCore
import Raft
import Storage
import Transport
import Wire

extension MemberLoop: TransportDelegate {
    public func transport(received message: Message) {
        // The member's transport shares the loop: no hop.
        guard eventLoop.inEventLoop else { return eventLoop.execute { [self] in transport(received: message) } }
        guard !stopped else { return }
        if message.type == .msgProp, role == .leader, let entries = ProposalBatch.forwardedEntries(message) {
            // The leader's batch takes a follower's proposals too: raft gets them with its
            // own, as one MsgProp (one append, one MsgApp a follower). Stepping each MsgProp
            // instead costs raft a broadcast each: about 15% of the puts spread over members.
            batch.addForwarded(entries)
            return scheduleReady()
        }
        if message.type == .msgProp { proposeBatch() }  // what is batched keeps its place before it
        do { try raw.step(message) } catch {
            logger.debug("dropped a peer message", metadata: ["type": "\(message.type)", "from": "\(hex(message.from))", "error": "\(error)"])
        }
        scheduleReady()
    }

    /// Called on the loop the transport shares with raft: the file is written as it arrives.
    public func transport(snapshotSinkFor message: Message) throws -> SnapshotSink {
        let writer = try snapshotFiles.writer(index: message.snapshot.metadata.index)
        return SnapshotSink(write: { bytes in try writer.write(bytes) }, finish: { try writer.finish() }, abandon: writer.abandon)
    }

    public func transport(receivedSnapshot message: Message) {
        logger.info("received database snapshot", metadata: [
            "remote-snapshot-sender-id": "\(hex(message.from))", "incoming-snapshot-index": "\(message.snapshot.metadata.index)",
        ])
        metrics.snapshotsReceived.increment()
        transport(received: message)
    }

    public func transport(peerUnreachable id: UInt64) {
        eventLoop.execute { [self] in
            raw.reportUnreachable(id)
        }
    }

    public func transport(snapshotSentTo id: UInt64, succeeded: Bool) {
        eventLoop.execute { [self] in
            logger.info(succeeded ? "sent database snapshot" : "failed to send database snapshot", metadata: ["remote-peer-id": "\(hex(id))"])
            if succeeded { metrics.snapshotsSent.increment() }
            raw.reportSnapshot(id, succeeded: succeeded)
            scheduleReady()
        }
    }

    public func transport(observed event: TransportEvent) {
        switch event {
        case .peerActive(let id):
            logger.info("peer became active", metadata: ["local-member-id": "\(hex(options.memberID))", "peer-id": "\(hex(id))"])
        case .peerInactive(let id):
            logger.warning("peer became inactive (message send to peer failed)", metadata: ["local-member-id": "\(hex(options.memberID))", "peer-id": "\(hex(id))"])
        case let .badPeerConnection(remote, reason):
            logger.warning("closed a peer connection that sent bad input", metadata: ["remote-address": "\(remote)", "error": "\(reason)"])
        case .removedFromCluster:
            eventLoop.execute { [self] in
                logger.warning("the member has been permanently removed from the cluster", metadata: ["local-member-id": "\(hex(options.memberID))"])
                onRemoved?()
            }
        case let .badStream(from, reason):
            logger.warning("lost a stream from a peer that sent bad bytes", metadata: ["remote-peer-id": "\(hex(from))", "error": "\(reason)"])
        case let .clusterIDMismatch(remote, from, _):
            logger.warning("request cluster ID mismatch", metadata: [
                "local-member-id": "\(hex(options.memberID))", "local-member-cluster-id": "\(hex(options.clusterID))",
                "remote-peer-cluster-id": "\(remote)", "remote-peer-id": "\(from)",
            ])
        }
    }

    public func transportMembers() -> String? { membersJSON.withLockedValue { $0 } }

    static func membersJSON(_ membership: Membership) -> String {
        "[" + membership.sorted.map(\.json).joined(separator: ",") + "]"
    }
}
