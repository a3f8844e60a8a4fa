import ArgumentParser
import Foundation

@main
struct FerryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry-bench",
        abstract: "Ferry's benchmarks: each prints a table and, last, one JSON line of figures.",
        subcommands: [CodecBench.self, WALBench.self, TransportBench.self, RaftBench.self, KVBench.self])
}
