import ArgumentParser
import Foundation
import Logging
import Server

/// `ferry`: one etcd 3.4 cluster member. Flags have etcd's names, meanings and defaults, and
/// each falls back on its ETCD_* environment variable.
@main
struct Ferry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "A Raft key-value member, wire compatible with etcd 3.4.",
        discussion: "Every flag may also be set by its environment variable: --initial-cluster-token by ETCD_INITIAL_CLUSTER_TOKEN, and so on. A flag given on the command line wins.")

    @OptionGroup(title: "Member") var member: MemberFlags
    @OptionGroup(title: "Clustering") var clustering: ClusteringFlags
    @OptionGroup(title: "Logging") var logging: LoggingFlags

    /// The flags given, by etcd's name; absent ones fall back on the environment, then the default.
    var givenFlags: [String: String] {
        var flags: [String: String] = [:]
        let all: [(String, String?)] = [
            ("name", member.name), ("data-dir", member.dataDir), ("listen-peer-urls", member.listenPeerURLs),
            ("listen-client-urls", member.listenClientURLs), ("heartbeat-interval", member.heartbeatInterval),
            ("election-timeout", member.electionTimeout), ("max-request-bytes", member.maxRequestBytes),
            ("snapshot-count", member.snapshotCount), ("max-snapshots", member.maxSnapshots), ("max-wals", member.maxWALs),
            ("quota-backend-bytes", member.quotaBackendBytes),
            ("auto-compaction-mode", member.autoCompactionMode), ("auto-compaction-retention", member.autoCompactionRetention),
            ("strict-reconfig-check", clustering.strictReconfigCheck),
            ("initial-advertise-peer-urls", clustering.initialAdvertisePeerURLs), ("initial-cluster", clustering.initialCluster),
            ("initial-cluster-state", clustering.initialClusterState), ("initial-cluster-token", clustering.initialClusterToken),
            ("advertise-client-urls", clustering.advertiseClientURLs), ("pre-vote", clustering.preVote),
            ("log-level", logging.logLevel),
        ]
        for case let (flag, value?) in all { flags[flag] = value }
        return flags
    }

    /// Parses Go-style flags as etcd accepts them, and exits with etcd's code 1 on a bad one.
    static func main() {
        do {
            var command = try parseAsRoot(GoFlagSyntax.normalized(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data("ferry: \(message)\n".utf8)) }
            Foundation.exit(1)
        }
    }

    func run() throws {
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration(flags: givenFlags, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("ferry: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let level = JSONLogHandler.level(named: configuration.logLevel)
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        let logger = Logger(label: "etcdserver")
        let server: MemberServer
        do {
            server = try MemberServer.start(configuration, logger: logger, onRemoved: { ShutdownSignals.stop() })
        } catch {
            logger.critical("failed to start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        ShutdownSignals.wait()
        logger.info("shutting down")
        server.stop()
    }
}

struct MemberFlags: ParsableArguments {
    @Option(help: "Human-readable name for this member. (default: default)") var name: String?
    @Option(name: .customLong("data-dir"), help: "Path to the data directory. (default: <name>.ferry)") var dataDir: String?
    @Option(name: .customLong("listen-peer-urls"), help: "List of URLs to listen on for peer traffic. (default: http://localhost:2380)")
    var listenPeerURLs: String?
    @Option(name: .customLong("listen-client-urls"), help: "List of URLs to listen on for client traffic. (default: http://localhost:2379)")
    var listenClientURLs: String?
    @Option(name: .customLong("heartbeat-interval"), help: "Time (in milliseconds) of a heartbeat interval. (default: 100)")
    var heartbeatInterval: String?
    @Option(name: .customLong("election-timeout"), help: "Time (in milliseconds) for an election to timeout. (default: 1000)")
    var electionTimeout: String?
    @Option(name: .customLong("max-request-bytes"), help: "Maximum client request size in bytes the server will accept. (default: 1572864)")
    var maxRequestBytes: String?
    @Option(name: .customLong("snapshot-count"), help: "Number of committed transactions to trigger a snapshot to disk. (default: 100000)")
    var snapshotCount: String?
    @Option(name: .customLong("max-snapshots"), help: "Maximum number of snapshot files to retain (0 is unlimited). (default: 5)")
    var maxSnapshots: String?
    @Option(name: .customLong("max-wals"), help: "Maximum number of wal files to retain (0 is unlimited). (default: 5)")
    var maxWALs: String?
    @Option(name: .customLong("quota-backend-bytes"), help: "Raise alarms when backend size exceeds the given quota (0 defaults to low space quota). (default: 0)")
    var quotaBackendBytes: String?
    @Option(name: .customLong("auto-compaction-retention"), help: "Auto compaction retention for mvcc key value store. 0 means disable auto compaction. (default: 0)")
    var autoCompactionRetention: String?
    @Option(name: .customLong("auto-compaction-mode"), help: "interpret 'auto-compaction-retention' one of: periodic|revision. 'periodic' for duration based retention, defaulting to hours if no time unit is provided (e.g. '5m'). 'revision' for revision number based retention. (default: periodic)")
    var autoCompactionMode: String?
}

struct ClusteringFlags: ParsableArguments {
    @Option(name: .customLong("initial-advertise-peer-urls"), help: "List of this member's peer URLs to advertise to the rest of the cluster. (default: http://localhost:2380)")
    var initialAdvertisePeerURLs: String?
    @Option(name: .customLong("initial-cluster"), help: "Initial cluster configuration for bootstrapping. (default: default=http://localhost:2380)")
    var initialCluster: String?
    @Option(name: .customLong("initial-cluster-state"), help: "Initial cluster state ('new' or 'existing'). (default: new)")
    var initialClusterState: String?
    @Option(name: .customLong("initial-cluster-token"), help: "Initial cluster token for the etcd cluster during bootstrap. (default: etcd-cluster)")
    var initialClusterToken: String?
    @Option(name: .customLong("advertise-client-urls"), help: "List of this member's client URLs to advertise to the public. (default: http://localhost:2379)")
    var advertiseClientURLs: String?
    @Option(name: .customLong("pre-vote"), help: "Enable to run an additional Raft election phase. (default: false)")
    var preVote: String?
    @Option(name: .customLong("strict-reconfig-check"), help: "Reject reconfiguration requests that would cause quorum loss. (default: true)")
    var strictReconfigCheck: String?
}

struct LoggingFlags: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "Configures log level. Only supports debug, info, warn, error, panic, or fatal. (default: info)")
    var logLevel: String?
}
