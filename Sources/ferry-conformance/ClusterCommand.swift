import ArgumentParser
import Conformance
import Foundation

struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Three real ferry members on loopback driven by etcdctl: bad flags, election, reads and writes, leader kill, restarts, wrong token, garbage on the ports, and etcd's walread on the WALs left behind.")

    @Option(help: "The ferry executable.") var ferry: String
    @Option(help: "etcd's walread (../shared/etcd-tools/build.sh walread OUT); compares its reading of each member's WAL with Ferry's.")
    var walread: String?
    @Option(help: "tools/v3client (tools/v3client/build.sh OUT); calls etcd's Lock and Election services directly with two contenders.")
    var v3client: String?
    @Option(help: "Work directory (created if missing; must be empty). Default: a new temporary folder.") var work: String?
    @Option(help: "Ports base+1...base+40 are used (clients base+1..3, peers base+11..13).") var basePort = 24000
    @Option(help: "The etcdctl executable (3.4).") var etcdctl = "/usr/bin/etcdctl"
    @Flag(help: "Keep the work directory (it is also kept when a check fails).") var keep = false

    func validate() throws {
        guard (1024...65000).contains(basePort) else { throw ValidationError("--base-port must be in 1024...65000") }
        for path in [ferry, etcdctl] + (walread.map { [$0] } ?? []) + (v3client.map { [$0] } ?? []) where !FileManager.default.isExecutableFile(atPath: path) {
            throw ValidationError("\(path) is not an executable file")
        }
    }

    func run() throws {
        try finish(ClusterRunner.run(ClusterOptions(
            ferry: ferry, walread: walread, v3client: v3client, work: work, basePort: basePort, keep: keep, etcdctl: etcdctl)))
    }
}
