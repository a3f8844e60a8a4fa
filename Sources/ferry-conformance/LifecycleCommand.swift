import ArgumentParser
import Conformance
import Foundation

struct Lifecycle: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A member's life cycle with real ferry processes: catch-up by snapshot, a learner joining, promoted, a voter removed, bounded WAL and snap files, restarts, and etcd's walread on every data dir.")

    @Option(help: "The ferry executable.") var ferry: String
    @Option(help: "etcd's walread (../shared/etcd-tools/build.sh walread OUT).") var walread: String?
    @Option(help: "Ports base+1...base+20 are used.") var basePort = 28000
    @Option(help: "Keys written while a member is down.") var keys = 10000
    @Option(help: "The etcdctl executable (3.4).") var etcdctl = "/usr/bin/etcdctl"

    func validate() throws {
        for path in [ferry, etcdctl] + (walread.map { [$0] } ?? []) where !FileManager.default.isExecutableFile(atPath: path) {
            throw ValidationError("\(path) is not an executable file")
        }
    }

    func run() throws {
        try finish(LifecycleRunner.run(LifecycleOptions(ferry: ferry, walread: walread, basePort: basePort, keys: keys, etcdctl: etcdctl)))
    }
}
