import Foundation
import Wire

/// What a member announces through raft once it runs: its attributes, and (the leader) the
/// cluster version.
extension MemberLoop {
    /// Logs this member's name and client URLs, retrying until it is applied (etcd's publish).
    func publishAttributes() {
        guard !published, !stopped else { return }
        let request = Membership.attributesRequest(id: options.memberID, name: options.name, clientURLs: options.clientURLs)
        propose(request) { [self] result in
            switch result {
            case .success:
                published = true
                logger.info("published local member to cluster through raft", metadata: [
                    "local-member-id": "\(hex(options.memberID))", "local-member-attributes": "\(request.val)",
                ])
            case .failure:
                eventLoop.scheduleTask(in: .milliseconds(500)) { [weak self] in self?.publishAttributes() }
            }
        }
    }

    /// The leader sets the cluster version once, as etcd's leader does when none is set.
    func publishClusterVersion() {
        propose(Membership.versionRequest(version: "3.4.0")) { _ in }
    }
}
