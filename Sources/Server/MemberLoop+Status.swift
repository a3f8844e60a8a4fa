import NIOCore
import Wire

/// What a member reports about itself: the response header and Maintenance.Status.
extension MemberLoop {
    /// The header every response carries.
    func header(revision: Int64) -> ResponseHeader {
        ResponseHeader(clusterID: options.clusterID, memberID: options.memberID, revision: revision, raftTerm: term)
    }

    /// What `Maintenance.Status` reports.
    public func statusResponse() -> EventLoopFuture<StatusResponse> {
        eventLoop.submit { [self] in
            var response = StatusResponse()
            response.header = header(revision: kv.revision)
            response.version = "3.4.23"
            response.dbSize = Int64(kv.snapshotSize)
            response.dbSizeInUse = response.dbSize
            response.leader = lead
            response.raftIndex = storage.lastIndex
            response.raftTerm = term
            response.raftAppliedIndex = appliedIndex
            response.isLearner = membership.members[options.memberID]?.isLearner ?? false
            if lead == 0 { response.errors.append("etcdserver: no leader") }
            response.errors += kv.alarms.map(\.text)
            return response
        }
    }
}
