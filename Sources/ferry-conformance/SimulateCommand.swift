import ArgumentParser
import Conformance

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Randomized raft cluster simulation: faults, crashes and membership changes, with Raft's safety properties checked after every step.")

    @Option(help: "Cluster size: 3 or 5.") var nodes = 3
    @Option(help: "How many seeds to run.") var seeds = 50
    @Option(help: "The first seed; the others follow it.") var firstSeed: UInt64 = 1
    @Option(help: "Steps per seed.") var steps = 10_000
    @Flag(help: "Also print how many faults of each kind were injected.") var stats = false

    func validate() throws {
        guard nodes == 3 || nodes == 5 else { throw ValidationError("--nodes must be 3 or 5") }
        guard seeds > 0, steps > 0 else { throw ValidationError("--seeds and --steps must be positive") }
    }

    func run() throws {
        let (report, faults) = RaftSimulationRunner.run(nodes: nodes, seeds: seeds, firstSeed: firstSeed, steps: steps)
        if stats { print("faults: \(faults)") }
        try finish(report)
    }
}
