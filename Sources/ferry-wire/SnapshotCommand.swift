import ArgumentParser
import Foundation
import KV
import Server

struct SnapshotTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Work with snapshots saved by `etcdctl snapshot save` from a Ferry member.",
        subcommands: [SnapshotRestoreCommand.self])
}

/// etcdctl's `snapshot restore`, for Ferry's snapshot files.
struct SnapshotRestoreCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a new member data directory from a snapshot saved from a Ferry member, as `etcdctl snapshot restore` does for etcd.",
        discussion: """
            The file's SHA-256 is checked; the data directory gets a WAL bootstrapping the cluster \
            given by the flags (etcd's meanings and defaults) and a snapshot holding every key, \
            revision, lease, alarm, user and role of the saved one. Start `ferry` on it with the same \
            --name, --initial-cluster, --initial-cluster-token and --initial-advertise-peer-urls. \
            Exit status 1 when the file is damaged.
            Example: ferry-wire snapshot restore backup.db --name m1 --initial-cluster m1=http://10.0.0.1:2380 \
            --initial-advertise-peer-urls http://10.0.0.1:2380 --data-dir /var/lib/ferry
            """)

    @Argument(help: "The snapshot file (from `etcdctl snapshot save`).") var file: String
    @Option(help: "Human-readable name for this member. (default: default)") var name: String?
    @Option(name: .customLong("data-dir"), help: "Path to the data directory, which must not exist. (default: <name>.ferry)")
    var dataDir: String?
    @Option(name: .customLong("initial-cluster"), help: "Initial cluster configuration for restore bootstrap. (default: default=http://localhost:2380)")
    var initialCluster: String?
    @Option(name: .customLong("initial-cluster-token"), help: "Initial cluster token for the etcd cluster during restore bootstrap. (default: etcd-cluster)")
    var initialClusterToken: String?
    @Option(name: .customLong("initial-advertise-peer-urls"), help: "List of this member's peer URLs to advertise to the rest of the cluster. (default: http://localhost:2380)")
    var initialAdvertisePeerURLs: String?

    func produce(stdin: () throws -> [UInt8]) throws -> ToolOutput {
        var flags: [String: String] = [:]
        let given: [(String, String?)] = [
            ("name", name), ("data-dir", dataDir), ("initial-cluster", initialCluster),
            ("initial-cluster-token", initialClusterToken), ("initial-advertise-peer-urls", initialAdvertisePeerURLs),
        ]
        for case let (flag, value?) in given { flags[flag] = value }
        var output = ToolOutput()
        do {
            let summary = try SnapshotRestore.restore(file: file, flags: flags)
            output.line("restored snapshot \(file) into \(summary.dataDir): member \(String(summary.memberID, radix: 16)) "
                + "of cluster \(String(summary.clusterID, radix: 16)) (\(summary.members) members), revision \(summary.revision), "
                + "\(summary.snapshotBytes) bytes of KV state")
        } catch let error as SnapshotFileError {
            output.line("\(file): \(error)")
            output.status = 1
        } catch let error as KVSnapshotError {
            output.line("\(file): \(error)")
            output.status = 1
        } catch let error as RestoreError {
            throw ToolError.usage("\(error)")
        } catch let error as ConfigurationError {
            throw ToolError.usage("\(error)")
        }
        return output
    }
}
