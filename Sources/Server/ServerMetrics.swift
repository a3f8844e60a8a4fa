import CoreMetrics
import Foundation
import Prometheus

/// A member's metrics under etcd's names, for what Ferry has, on a registry of the member's
/// own (served at `GET /metrics` in Prometheus text format). Updated on the node's loop;
/// gauges that describe state are refreshed when scraped.
final class ServerMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// Per-peer byte counters and the totals they were last brought up to; touched on the
    /// node's loop only.
    private var peerCounters: [UInt64: (sent: CoreMetrics.Counter, received: CoreMetrics.Counter, counted: (Int, Int))] = [:]
    let hasLeader: CoreMetrics.Gauge
    let isLeader: CoreMetrics.Gauge
    let leaderChanges: CoreMetrics.Counter
    let proposalsCommitted: CoreMetrics.Gauge
    let proposalsApplied: CoreMetrics.Gauge
    let proposalsPending: CoreMetrics.Gauge
    let proposalsFailed: CoreMetrics.Counter
    let walFsync: CoreMetrics.Timer
    /// Snapshots streamed to a follower and received from the leader.
    let snapshotsSent: CoreMetrics.Counter
    let snapshotsReceived: CoreMetrics.Counter
    let dbSize: CoreMetrics.Gauge
    let keys: CoreMetrics.Gauge
    let residentMemory: CoreMetrics.Gauge
    let openFiles: CoreMetrics.Gauge
    let startTime: CoreMetrics.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // etcd's buckets for WAL fsync: 1 ms doubling to about 8 s.
        factory.durationHistogramBuckets["etcd_disk_wal_fsync_duration_seconds"] =
            (0..<14).map { Duration.microseconds(1000 << $0) }
        self.factory = factory
        hasLeader = CoreMetrics.Gauge(label: "etcd_server_has_leader", factory: factory)
        isLeader = CoreMetrics.Gauge(label: "etcd_server_is_leader", factory: factory)
        leaderChanges = CoreMetrics.Counter(label: "etcd_server_leader_changes_seen_total", factory: factory)
        proposalsCommitted = CoreMetrics.Gauge(label: "etcd_server_proposals_committed_total", factory: factory)
        proposalsApplied = CoreMetrics.Gauge(label: "etcd_server_proposals_applied_total", factory: factory)
        proposalsPending = CoreMetrics.Gauge(label: "etcd_server_proposals_pending", factory: factory)
        proposalsFailed = CoreMetrics.Counter(label: "etcd_server_proposals_failed_total", factory: factory)
        walFsync = CoreMetrics.Timer(label: "etcd_disk_wal_fsync_duration_seconds", factory: factory)
        snapshotsSent = CoreMetrics.Counter(label: "etcd_network_snapshot_send_success", factory: factory)
        snapshotsReceived = CoreMetrics.Counter(label: "etcd_network_snapshot_receive_success", factory: factory)
        dbSize = CoreMetrics.Gauge(label: "etcd_mvcc_db_total_size_in_bytes", factory: factory)
        keys = CoreMetrics.Gauge(label: "etcd_debugging_mvcc_keys_total", factory: factory)
        residentMemory = CoreMetrics.Gauge(label: "process_resident_memory_bytes", factory: factory)
        openFiles = CoreMetrics.Gauge(label: "process_open_fds", factory: factory)
        startTime = CoreMetrics.Gauge(label: "process_start_time_seconds", factory: factory)
        startTime.record(Date().timeIntervalSince1970)
    }

    /// Brings etcd_network_peer_{sent,received}_bytes_total up to the transport's totals.
    func recordPeerBytes(_ totals: [UInt64: (sent: Int, received: Int)]) {
        for (id, total) in totals {
            let peer = String(id, radix: 16)
            var entry = peerCounters[id] ?? (
                CoreMetrics.Counter(label: "etcd_network_peer_sent_bytes_total", dimensions: [("To", peer)], factory: factory),
                CoreMetrics.Counter(label: "etcd_network_peer_received_bytes_total", dimensions: [("From", peer)], factory: factory),
                (0, 0))
            entry.sent.increment(by: max(0, total.sent - entry.counted.0))
            entry.received.increment(by: max(0, total.received - entry.counted.1))
            entry.counted = (max(total.sent, entry.counted.0), max(total.received, entry.counted.1))
            peerCounters[id] = entry
        }
    }

    /// The Prometheus text of every metric, with the process figures read now.
    func scrape() -> String {
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
           let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            residentMemory.record(pages * pageSize)
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") { openFiles.record(fds.count) }
        return registry.emitToString()
    }
}
