import Foundation
import NIOCore
import Wire

/// What a member reports about itself: the response header and Maintenance.Status.
extension MemberLoop {
    /// The header every response carries, at the store's revision unless `revision` is given.
    func header(revision: Int64? = nil) -> ResponseHeader {
        ResponseHeader(clusterID: options.clusterID, memberID: options.memberID, revision: revision ?? kv.revision, raftTerm: term)
    }

    /// What `Maintenance.Status` reports.
    public func statusResponse() -> EventLoopFuture<StatusResponse> {
        eventLoop.submit { [self] in
            var response = StatusResponse()
            response.header = header()
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

    /// Puts the store's size and key count in the metrics, for a scrape. On the loop.
    func recordStoreFigures() {
        metrics.dbSize.record(kv.snapshotSize)
        let all = RangeRequest(key: Data([0]), rangeEnd: Data([0]), countOnly: true)
        if let count = try? kv.range(all).count { metrics.keys.record(count) }
    }

    /// etcd's Defragment, logged as etcd logs it. On the loop.
    func defragment() {
        logger.info("starting defragment")
        kv.defragment()
        logger.info("finished defragment")
    }
}
