/// How many faults of each kind a simulation injected.
public struct FaultCounts: Sendable, CustomStringConvertible {
    public var dropped = 0
    public var duplicated = 0
    /// Messages delivered before one sent earlier.
    public var reordered = 0
    public var partitions = 0
    public var crashes = 0
    public var membershipChanges = 0
    public var snapshots = 0
    public var transfers = 0
    public var reads = 0

    public mutating func add(_ other: FaultCounts) {
        dropped += other.dropped
        duplicated += other.duplicated
        reordered += other.reordered
        partitions += other.partitions
        crashes += other.crashes
        membershipChanges += other.membershipChanges
        snapshots += other.snapshots
        transfers += other.transfers
        reads += other.reads
    }

    public var description: String {
        "dropped=\(dropped) duplicated=\(duplicated) reordered=\(reordered) partitions=\(partitions) crashes=\(crashes) "
            + "membership-changes=\(membershipChanges) snapshots=\(snapshots) leader-transfers=\(transfers) reads=\(reads)"
    }
}

/// Runs the simulation over a range of seeds: one failure line per failing seed, with
/// the command that replays it.
public enum RaftSimulationRunner {
    public static func run(nodes: Int, seeds: Int, firstSeed: UInt64, steps: Int) -> (report: Report, faults: FaultCounts) {
        var report = Report()
        var faults = FaultCounts()
        for offset in 0..<UInt64(seeds) {
            let seed = firstSeed + offset
            let outcome = RaftSimulation.run(nodes: nodes, seed: seed, steps: steps)
            faults.add(outcome.faults)
            if let failure = outcome.failure {
                report.fail("seed \(seed): \(failure); replay: ferry-conformance simulate --nodes \(nodes) --seeds 1 --first-seed \(seed) --steps \(steps)")
            } else {
                report.pass()
            }
        }
        return (report, faults)
    }
}
