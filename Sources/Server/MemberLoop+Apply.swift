import Foundation
import KV
import Logging
import Raft
import Wire

/// The applier: committed entries into the KV state machine and the membership, conf
/// changes into raft, and each applied entry's answer to the proposal waiting on it.
extension MemberLoop {
    func apply(_ entries: [Entry]) {
        for entry in entries where entry.index > appliedIndex {
            switch entry.type {
            case .entryNormal: applyNormal(entry)
            case .entryConfChange: applyConfChange(entry)
            case .entryConfChangeV2: applyConfChangeV2(entry)
            default: logger.warning("skipping an entry of unknown type", metadata: ["index": "\(entry.index)"])
            }
            appliedIndex = entry.index
        }
    }

    private func applyNormal(_ entry: Entry) {
        guard let data = entry.data, !data.isEmpty else { return }  // a new leader's empty entry
        // Entries are InternalRaftRequests, or plain v2 Requests for membership bookkeeping
        // (etcd tries them in this order).
        guard let request = try? InternalRaftRequest(serializedBytes: data) else {
            if let v2 = try? Request(serializedBytes: data) {
                applyV2(v2)
            } else {
                logger.error("skipping an entry that is no request", metadata: ["index": "\(entry.index)"])
            }
            return
        }
        if let v2 = request.v2 {
            applyV2(v2)
            return
        }
        let applied = kv.apply(request, now: now)
        let answer: @Sendable () -> Void = { [self] in trigger(applied.requestID, applied.result.map(AppliedAnswer.kv).mapError(ServerError.kv)) }
        // etcd: a write applied past the quota raises NOSPACE (unless raised) before it is answered.
        guard case .failure(.noSpace) = applied.result, !noSpaceRaised else { return answer() }
        logger.warning("message exceeded backend quota; raising alarm", metadata: ["quota-size-bytes": "\(kv.quota.limit ?? -1)"])
        raiseNoSpace(then: answer)
    }

    private func applyV2(_ request: Request) {
        let versionBefore = membership.clusterVersion
        if !membership.apply(request) {
            logger.warning("skipping an unsupported v2 request", metadata: ["method": "\(request.method)", "path": "\(request.path)"])
        } else if request.path == "/0/version" {
            let identity: Logger.Metadata = ["cluster-id": "\(hex(options.clusterID))", "local-member-id": "\(hex(options.memberID))"]
            if let versionBefore {
                logger.info("updated cluster version", metadata: identity.merging([
                    "from": "\(Self.clusterVersion(versionBefore))", "to": "\(Self.clusterVersion(request.val))",
                ]) { $1 })
            } else {
                logger.info("set initial cluster version", metadata: identity.merging(["cluster-version": "\(Self.clusterVersion(request.val))"]) { $1 })
            }
            logCapabilities()
        }
        trigger(request.id, .success(.membership))
    }

    /// etcd's UpdateCapability line, logged whenever the cluster version is set or recovered:
    /// what etcd's own e2e tests wait for before they talk to a member.
    func logCapabilities() {
        guard let version = membership.clusterVersion else { return }
        logger.info("enabled capabilities for version", metadata: ["cluster-version": "\(Self.clusterVersion(version))"])
    }

    /// etcd's version.Cluster: a version's major.minor ("3.4.0" is cluster version "3.4").
    static func clusterVersion(_ version: String) -> String {
        version.split(separator: ".", omittingEmptySubsequences: false).prefix(2).joined(separator: ".")
    }

    private func applyConfChange(_ entry: Entry) {
        guard var change = try? ConfChange(serializedBytes: entry.data ?? Data()) else {
            logger.error("skipping a malformed conf change", metadata: ["index": "\(entry.index)"])
            return
        }
        let refusal: MembershipRefusal?
        do { refusal = try membership.refusal(of: change) } catch {
            logger.error("bad member in a conf change", metadata: ["index": "\(entry.index)", "error": "\(error)"])
            refusal = .idNotFound
        }
        if let refusal {
            // As etcd: raft applies it as a change of no member, the proposer learns why.
            let id = change.id
            change.nodeID = 0
            confState = (try? raw.applyConfChange(change)) ?? confState
            trigger(id, .failure(.membership(refusal)))
            return
        }
        do {
            confState = try raw.applyConfChange(change)
        } catch {
            logger.error("raft refused a conf change", metadata: ["index": "\(entry.index)", "error": "\(error)"])
            return
        }
        do {
            switch try membership.apply(change) {
            case .added(let member):
                logger.info("added member", metadata: ["added-peer-id": "\(hex(member.id))", "added-peer-peer-urls": "\(member.peerURLs)", "is-learner": "\(member.isLearner)"])
                if member.id != options.memberID { connect(member) }
            case .removed(let id):
                logger.info("removed member", metadata: ["removed-remote-peer-id": "\(hex(id))"])
                transport?.markRemoved(id: id)
                if id == options.memberID { removedSelf() }
            case .updated(let member):
                logger.info("updated member", metadata: ["updated-remote-peer-id": "\(hex(member.id))", "updated-remote-peer-urls": "\(member.peerURLs)"])
                transport?.removePeer(id: member.id)
                if member.id != options.memberID { connect(member) }
            case .promoted(let id):
                logger.info("promote member", metadata: ["promoted-member-id": "\(hex(id))"])
            case .none:
                break
            }
        } catch {
            logger.error("bad member in a conf change", metadata: ["index": "\(entry.index)", "error": "\(error)"])
        }
        trigger(change.id, .success(.membership))
    }

    /// This member applied its own removal: as etcd, it stops shortly after (the delay lets
    /// the commit reach the others) and says why.
    func removedSelf() {
        logger.warning("the member has been permanently removed from the cluster", metadata: ["local-member-id": "\(hex(options.memberID))"])
        eventLoop.scheduleTask(in: .seconds(1)) { [self] in onRemoved?() }
    }

    private func applyConfChangeV2(_ entry: Entry) {
        guard let change = try? ConfChangeV2(serializedBytes: entry.data ?? Data()) else { return }
        if let state = try? raw.applyConfChange(change) { confState = state }
    }

    func connect(_ member: ClusterMember) {
        guard let url = member.peerURLs.first, let address = PeerURL.hostPort(url) else { return }
        transport?.addPeer(id: member.id, host: address.host, port: address.port)
    }
}
