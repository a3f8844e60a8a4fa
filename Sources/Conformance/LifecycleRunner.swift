import Foundation

/// What `ferry-conformance lifecycle` was asked to do.
public struct LifecycleOptions: Sendable {
    public var ferry: String
    public var walread: String?
    public var basePort: Int
    public var keys: Int
    public var etcdctl: String

    public init(ferry: String, walread: String? = nil, basePort: Int = 28000, keys: Int = 10000, etcdctl: String = "/usr/bin/etcdctl") {
        self.ferry = ferry
        self.walread = walread
        self.basePort = basePort
        self.keys = keys
        self.etcdctl = etcdctl
    }
}

/// A member's life cycle with real processes on loopback (--snapshot-count 1000,
/// --max-snapshots 2, --max-wals 2): a stopped member misses `keys` writes and catches up by
/// snapshot; a learner joins a loaded cluster, is promoted, and an original voter is removed
/// and stops itself, with no acknowledged write lost; every member restarts from its data dir;
/// WAL and snap files stay bounded through a long write run; etcd's walread reads every data
/// dir as Ferry does.
public enum LifecycleRunner {
    public static func run(_ options: LifecycleOptions) -> Report {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-lifecycle-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: "\(work)/etcdctl", withIntermediateDirectories: true)
        signal(SIGPIPE, SIG_IGN)
        let registry = ProcessRegistry()
        registry.killOnSignals()
        let cluster = LifecycleCluster(ferry: ClusterRunner.absolute(options.ferry), work: work, basePort: options.basePort,
                                       etcdctl: Etcdctl(path: options.etcdctl, scratch: "\(work)/etcdctl"), registry: registry)
        var report = Report()
        let busy = ClusterSockets.busyPorts((options.basePort + 1)...(options.basePort + 20))
        if !busy.isEmpty {
            report.fail("ports in use: \(busy.map(String.init).joined(separator: ", ")) (choose another --base-port)")
        } else {
            cluster.runAll(keys: options.keys, walread: options.walread.map(ClusterRunner.absolute))
            report.merge(cluster.report)
        }
        registry.killAll()
        if report.failed == 0 {
            try? FileManager.default.removeItem(atPath: work)
        } else {
            say("work dir kept: \(work) (member logs mN.log)")
        }
        return report
    }

    static func say(_ line: String) { FileHandle.standardOutput.write(Data("lifecycle: \(line)\n".utf8)) }
}
