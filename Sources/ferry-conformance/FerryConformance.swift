import ArgumentParser
import Conformance
import Foundation

@main
struct FerryConformance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry-conformance",
        abstract: "Runs Ferry against etcd 3.4's conformance material; prints each failure and `N passed, M failed`.",
        subcommands: [Vectors.self, Streams.self, WALCases.self, SnapCases.self, DataDirs.self, WALKill.self, WALKillChild.self, Raft.self, KVTranscripts.self, Captures.self, Simulate.self, Cluster.self, Lifecycle.self])
}

/// Prints a report and exits non-zero when anything failed.
func finish(_ report: Report) throws {
    for failure in report.failures { print("FAIL \(failure)") }
    print(report.summary)
    if report.failed > 0 { throw ExitCode(1) }
}

struct Vectors: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wire vectors: a .jsonl file, or every *.jsonl directly in a directory.")

    @Argument(help: "A vector file or directory.") var path: String

    func run() throws { try finish(VectorRunner.run(path: path)) }
}

struct Streams: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Message-stream vectors: every NAME.bin with its NAME.jsonl in a directory.")

    @Argument(help: "A directory of stream vectors.") var directory: String
    @Option(help: "Seed of the random chunking.") var seed: UInt64 = 1

    func run() throws { try finish(StreamRunner.run(directory: directory, seed: seed)) }
}
