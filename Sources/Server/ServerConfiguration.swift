import Foundation

/// What a member starts with: etcd 3.4's flags (names, meanings, defaults) for what Ferry
/// implements, each also read from its `ETCD_*` environment variable, checked as etcd checks
/// them before anything is written.
public struct ServerConfiguration: Equatable, Sendable {
    public enum ClusterState: String, Sendable { case new, existing }

    public var name: String
    public var dataDir: String
    public var listenPeerURLs: [String]
    public var listenClientURLs: [String]
    public var advertiseClientURLs: [String]
    public var initialAdvertisePeerURLs: [String]
    public var initialCluster: InitialCluster
    public var initialClusterState: ClusterState
    public var initialClusterToken: String
    /// Milliseconds.
    public var heartbeatInterval: Int
    /// Milliseconds.
    public var electionTimeout: Int
    public var maxRequestBytes: Int
    /// Applied entries between snapshots.
    public var snapshotCount: Int
    /// Snapshot files kept (etcd's --max-snapshots; 0 keeps all).
    public var maxSnapshots: Int
    /// WAL segment files kept (etcd's --max-wals; 0 keeps all).
    public var maxWALs: Int
    /// Refuse a membership change that would leave too few started members for a quorum.
    public var strictReconfigCheck: Bool
    public var preVote: Bool
    public var logLevel: String
    /// Raise alarms when the database passes this size (0: etcd's default, negative: never).
    public var quotaBackendBytes: Int64
    /// The leader's compaction schedule, nil when `--auto-compaction-retention` is 0.
    public var autoCompaction: AutoCompaction?

    /// The flags Ferry takes, as etcd spells them, with etcd's defaults.
    public static let defaults: [String: String] = [
        "name": "default",
        "listen-peer-urls": "http://localhost:2380",
        "listen-client-urls": "http://localhost:2379",
        "advertise-client-urls": "http://localhost:2379",
        "initial-advertise-peer-urls": "http://localhost:2380",
        "initial-cluster": "default=http://localhost:2380",
        "initial-cluster-state": "new",
        "initial-cluster-token": "etcd-cluster",
        "heartbeat-interval": "100",
        "election-timeout": "1000",
        "max-request-bytes": "1572864",
        "snapshot-count": "100000",
        "max-snapshots": "5",
        "max-wals": "5",
        "strict-reconfig-check": "true",
        "pre-vote": "false",
        "quota-backend-bytes": "0",
        "auto-compaction-mode": "periodic",
        "auto-compaction-retention": "0",
        "log-level": "info",
    ]

    /// `ETCD_INITIAL_CLUSTER_TOKEN` for `initial-cluster-token`.
    public static func environmentName(of flag: String) -> String {
        "ETCD_" + flag.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// Reads `flags` (given on the command line), falling back on `environment` and then on
    /// etcd's defaults; throws etcd's kind of message for anything it cannot start with.
    public init(flags: [String: String], environment: [String: String] = [:]) throws(ConfigurationError) {
        for flag in flags.keys where Self.defaults[flag] == nil && flag != "data-dir" {
            throw .invalid(flag: flag, reason: "flag provided but not defined: -\(flag)")
        }
        func value(_ flag: String) -> String? {
            flags[flag] ?? environment[Self.environmentName(of: flag)] ?? Self.defaults[flag]
        }
        func urls(_ flag: String) throws(ConfigurationError) -> [String] {
            let list = (value(flag) ?? "").split(separator: ",").map(String.init)
            guard !list.isEmpty else { throw .invalid(flag: flag, reason: "no URL given") }
            for url in list { try PeerURL.check(url, flag: flag) }
            return list
        }
        func integer(_ flag: String) throws(ConfigurationError) -> Int {
            guard let text = value(flag), let number = Int(text), number > 0 else {
                throw .invalid(flag: flag, reason: "parse error: \(value(flag) ?? "")")
            }
            return number
        }

        let name = value("name") ?? "default"
        self.name = name
        dataDir = flags["data-dir"] ?? environment[Self.environmentName(of: "data-dir")] ?? "\(name).ferry"
        listenPeerURLs = try urls("listen-peer-urls")
        listenClientURLs = try urls("listen-client-urls")
        advertiseClientURLs = try urls("advertise-client-urls")
        let advertisedPeers = try urls("initial-advertise-peer-urls")
        initialAdvertisePeerURLs = advertisedPeers
        // etcd: a renamed member with the default cluster is a cluster of itself.
        var clusterText = value("initial-cluster") ?? ""
        if flags["initial-cluster"] == nil, environment[Self.environmentName(of: "initial-cluster")] == nil, name != "default" {
            clusterText = advertisedPeers.map { "\(name)=\($0)" }.joined(separator: ",")
        }
        initialCluster = try InitialCluster(parsing: clusterText)
        guard let state = ClusterState(rawValue: value("initial-cluster-state") ?? "") else {
            throw .invalid(flag: "initial-cluster-state", reason: "invalid value \"\(value("initial-cluster-state") ?? "")\" (valid values are \"new\", \"existing\")")
        }
        initialClusterState = state
        initialClusterToken = value("initial-cluster-token") ?? "etcd-cluster"
        heartbeatInterval = try integer("heartbeat-interval")
        electionTimeout = try integer("election-timeout")
        maxRequestBytes = try integer("max-request-bytes")
        snapshotCount = try integer("snapshot-count")
        func count(_ flag: String) throws(ConfigurationError) -> Int {
            guard let text = value(flag), let number = Int(text), number >= 0 else {
                throw .invalid(flag: flag, reason: "parse error: \(value(flag) ?? "")")
            }
            return number
        }
        maxSnapshots = try count("max-snapshots")
        maxWALs = try count("max-wals")
        guard let strict = Bool(value("strict-reconfig-check") ?? "") else {
            throw .invalid(flag: "strict-reconfig-check", reason: "parse error")
        }
        strictReconfigCheck = strict
        guard let preVote = Bool(value("pre-vote") ?? "") else { throw .invalid(flag: "pre-vote", reason: "parse error") }
        self.preVote = preVote
        guard let quota = Int64(value("quota-backend-bytes") ?? "") else {
            throw .invalid(flag: "quota-backend-bytes", reason: "parse error: \(value("quota-backend-bytes") ?? "")")
        }
        quotaBackendBytes = quota
        autoCompaction = try AutoCompaction(mode: value("auto-compaction-mode") ?? "", retention: value("auto-compaction-retention") ?? "")
        logLevel = value("log-level") ?? "info"
        guard ["debug", "info", "warn", "error", "panic", "fatal"].contains(logLevel) else {
            throw .invalid(flag: "log-level", reason: "\"\(logLevel)\" is not one of debug, info, warn, error, panic, fatal")
        }
        try validate()
    }

    /// etcd's checks of the timing flags and of this member's place in the initial cluster.
    func validate() throws(ConfigurationError) {
        if 5 * heartbeatInterval > electionTimeout {
            throw .inconsistent("--election-timeout[\(electionTimeout)ms] should be at least as 5 times as --heartbeat-interval[\(heartbeatInterval)ms]")
        }
        if electionTimeout > 50000 {
            throw .inconsistent("--election-timeout[\(electionTimeout)ms] is too long, and should be set less than 50000 milliseconds")
        }
        var seen: Set<String> = []
        for member in initialCluster.members {
            for url in member.peerURLs where !seen.insert(url).inserted {
                throw .inconsistent("initial cluster \(clusterString) has duplicated url \(url)")
            }
        }
        guard let mine = initialCluster.peerURLs(of: name) else {
            throw .inconsistent("couldn't find local name \"\(name)\" in the initial cluster configuration")
        }
        let advertised = Set(initialAdvertisePeerURLs)
        let missingFromAdvertised = mine.filter { !advertised.contains($0) }
        if !missingFromAdvertised.isEmpty {
            throw .inconsistent("--initial-cluster has \(missingFromAdvertised.map { "\(name)=\($0)" }.joined(separator: ",")) but missing from --initial-advertise-peer-urls=\(initialAdvertisePeerURLs.sorted().joined(separator: ","))")
        }
        let missingFromCluster = initialAdvertisePeerURLs.filter { !mine.contains($0) }
        if !missingFromCluster.isEmpty {
            throw .inconsistent("--initial-advertise-peer-urls has \(missingFromCluster.joined(separator: ",")) but missing from --initial-cluster=\(name)=\(initialAdvertisePeerURLs.joined(separator: ","))")
        }
    }

    var clusterString: String {
        initialCluster.members.flatMap { member in member.peerURLs.map { "\(member.name)=\($0)" } }.joined(separator: ",")
    }

    /// This member's ID and the cluster's, as etcd derives them from these flags.
    public var memberID: UInt64 {
        ClusterIdentity.memberID(peerURLs: initialCluster.peerURLs(of: name) ?? initialAdvertisePeerURLs, clusterToken: initialClusterToken)
    }

    public var clusterID: UInt64 { initialCluster.clusterID(token: initialClusterToken) }
}
