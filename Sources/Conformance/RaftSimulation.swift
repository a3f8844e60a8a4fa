import Foundation
import Raft
import Wire

/// A randomized run of a raft cluster in memory, driven by one seed: messages lost,
/// duplicated, reordered and partitioned; nodes crashing and restarting from what they
/// persisted; membership changing; reads, snapshots and leader transfers. Raft's safety
/// properties are checked after every step, and at checkpoints, once every fault is
/// healed, the cluster must commit a proposal again.
public struct RaftSimulation {
    /// The raft options of one run, drawn from its seed.
    struct Settings {
        var preVote: Bool
        var checkQuorum: Bool
        var readOnlyOption: ReadOnlyOption
        var maxSizePerMsg: UInt64
        var maxInflightMsgs: Int
        var maxUncommittedEntriesSize: UInt64
    }

    /// How a run went.
    public struct Outcome: Sendable {
        /// The first broken guarantee and the step it showed at; nil when none.
        public var failure: String?
        public var faults: FaultCounts
    }

    let seed: UInt64
    let steps: Int
    var random: SplitMix64
    let settings: Settings
    var nodes: [SimulatedNode]
    var network = SimulatedNetwork()
    var checker = SafetyChecker()
    var faults = FaultCounts()
    /// Proposals and read requests carry a unique counter.
    var nextRequest: UInt64 = 0
    /// The highest index any state machine had applied when each read was requested:
    /// a linearizable read must be served at least there.
    var pendingReads: [[UInt8]: UInt64] = [:]
    /// Nodes a removal was proposed for: never added again.
    var removed: Set<UInt64> = []
    /// The proposal a recovery waits to see applied.
    var awaited: Data?
    var awaitedApplied = false

    static let checkpointInterval = 2_000
    /// Ticks a healed cluster gets to elect a leader and commit.
    static let recoveryTicks = 300

    init(nodeCount: Int, seed: UInt64, steps: Int) {
        self.seed = seed
        self.steps = steps
        var random = SplitMix64(seed: seed)
        let checkQuorum = random.next() & 1 == 1
        let preVote = random.next() & 1 == 1
        let leaseBased = checkQuorum && random.next() & 1 == 1
        settings = Settings(
            preVote: preVote,
            checkQuorum: checkQuorum,
            readOnlyOption: leaseBased ? .leaseBased : .safe,
            maxSizePerMsg: [UInt64(0), 64, 1024, .max][random.below(4)],
            maxInflightMsgs: [1, 4, 256][random.below(3)],
            maxUncommittedEntriesSize: [UInt64(0), 256][random.below(2)])
        self.random = random
        let ids = (1...UInt64(nodeCount)).map { $0 }
        nodes = ids.map { SimulatedNode(id: $0, voters: ids) }
    }

    /// Runs the simulation of `nodes` members for `steps` steps from `seed`.
    public static func run(nodes: Int, seed: UInt64, steps: Int) -> Outcome {
        var simulation = RaftSimulation(nodeCount: nodes, seed: seed, steps: steps)
        var failure: String?
        do {
            try simulation.run()
        } catch {
            failure = "\(error)"
        }
        return Outcome(failure: failure, faults: simulation.faults)
    }

    /// What the run drew: worth printing with a failure.
    var settingsSummary: String {
        "preVote=\(settings.preVote) checkQuorum=\(settings.checkQuorum) readOnly=\(settings.readOnlyOption) "
            + "maxSizePerMsg=\(settings.maxSizePerMsg) maxInflight=\(settings.maxInflightMsgs) maxUncommitted=\(settings.maxUncommittedEntriesSize)"
    }

    private mutating func run() throws {
        for i in nodes.indices { try nodes[i].start(settings: settings, seed: seed) }
        var step = 0
        do {
            while step < steps {
                step += 1
                try randomStep()
                try checkRoles()
                if step % RaftSimulation.checkpointInterval == 0 || step == steps { try recover() }
            }
        } catch let violation as SafetyViolation {
            throw SafetyViolation(description: "step \(step): \(violation) [\(settingsSummary)]")
        }
    }

    // MARK: Steps

    private mutating func randomStep() throws {
        // Per mille: mostly the normal work of a cluster, with faults rare enough
        // that leaders get elected and entries committed between them.
        let roll = random.below(1_000)
        switch roll {
        case 0..<450: try deliverRandomMessage()
        case 450..<650: try handleRandomReady()
        case 650..<800: tick()
        case 800..<900: propose()
        case 900..<930: requestRead()
        case 930..<938: repartition()
        case 938..<943: crashRandomNode()
        case 943..<963: try restartRandomNode()
        case 963..<973: changeMembership()
        case 973..<993: takeSnapshot()
        default: transferLeadership()
        }
    }

    func pick<T>(_ candidates: [T], _ random: inout SplitMix64) -> T? {
        candidates.isEmpty ? nil : candidates[random.below(candidates.count)]
    }

    var runningIndices: [Int] { nodes.indices.filter { nodes[$0].isRunning } }

    private mutating func deliverRandomMessage() throws {
        guard !network.isEmpty else { return }
        let position = random.below(network.count)
        if position != 0 { faults.reordered += 1 }
        let message = network.take(at: position)
        switch random.below(100) {
        case 0..<5:
            faults.dropped += 1
            reportLoss(of: message)
        case 5..<10:
            faults.duplicated += 1
            network.send([message])
            try deliver(message)
        default:
            try deliver(message)
        }
    }

    /// Steps `message` into its recipient, unless the partition or a crash is in the way.
    mutating func deliver(_ message: Message) throws {
        let to = Int(message.to) - 1
        guard network.reaches(message.from, message.to), nodes.indices.contains(to), nodes[to].isRunning else {
            reportLoss(of: message)
            return
        }
        // Refusals (dropped proposals, responses from strangers) are raft's answer, not faults.
        try? nodes[to].raft!.step(message)
        if message.type == .msgSnap { report(snapshotTo: message.to, from: message.from, succeeded: true) }
    }

    /// Tells a sender what its transport would have noticed about a lost message.
    private mutating func reportLoss(of message: Message) {
        if message.type == .msgSnap {
            report(snapshotTo: message.to, from: message.from, succeeded: false)
        } else if message.type == .msgApp, nodes[Int(message.from) - 1].isRunning {
            nodes[Int(message.from) - 1].raft!.reportUnreachable(message.to)
        }
    }

    private mutating func report(snapshotTo to: UInt64, from: UInt64, succeeded: Bool) {
        guard nodes[Int(from) - 1].isRunning else { return }
        nodes[Int(from) - 1].raft!.reportSnapshot(to, succeeded: succeeded)
    }

    private mutating func handleRandomReady() throws {
        let ready = runningIndices.filter { nodes[$0].raft!.hasReady }
        if let i = pick(ready, &random) { try handleReady(i) }
    }

    private mutating func tick() {
        if random.next() & 1 == 0, let i = pick(runningIndices, &random) {
            nodes[i].raft!.tick()
        } else {
            for i in runningIndices { nodes[i].raft!.tick() }
        }
    }

    private mutating func propose() {
        guard let i = pick(runningIndices, &random) else { return }
        nextRequest += 1
        try? nodes[i].raft!.propose(SimulatedNode.encode(digest: nextRequest))
    }

    private mutating func requestRead() {
        guard let i = pick(runningIndices, &random) else { return }
        nextRequest += 1
        let context = [UInt8](SimulatedNode.encode(digest: nextRequest))
        pendingReads[context] = nodes.map(\.appliedIndex).max()!
        nodes[i].raft!.readIndex(context: context)
        faults.reads += 1
    }

    private mutating func repartition() {
        if network.isPartitioned && random.next() & 1 == 0 {
            network.heal()
            return
        }
        var sides: [UInt64: Int] = [:]
        for node in nodes { sides[node.id] = Int(random.next() & 1) }
        network.partition(sides)
        faults.partitions += 1
    }

    private mutating func crashRandomNode() {
        // Keep a majority up, so that the run makes progress between checkpoints.
        guard nodes.count(where: { !$0.isRunning }) < max(1, (nodes.count - 1) / 2),
              let i = pick(runningIndices, &random) else { return }
        nodes[i].crash()
        faults.crashes += 1
    }

    private mutating func restartRandomNode() throws {
        guard let i = pick(nodes.indices.filter { !nodes[$0].isRunning }, &random) else { return }
        try nodes[i].start(settings: settings, seed: seed)
    }

    private mutating func takeSnapshot() {
        guard let i = pick(runningIndices, &random) else { return }
        let storage = nodes[i].storage
        let index = nodes[i].appliedIndex
        guard index > storage.snapshot().metadata.index else { return }
        _ = try? storage.createSnapshot(at: index, confState: nodes[i].confState,
                                        data: SimulatedNode.encode(digest: nodes[i].digest))
        // Keep a few entries behind the snapshot sometimes, for followers just behind.
        let keep = UInt64(random.below(4))
        if index > storage.firstIndex + keep { try? storage.compact(to: index - keep) }
        faults.snapshots += 1
    }

    private mutating func transferLeadership() {
        guard let i = runningIndices.first(where: { nodes[$0].raft!.status.softState.role == .leader }),
              let target = pick(nodes.map(\.id), &random) else { return }
        nodes[i].raft!.transferLeader(to: target)
        faults.transfers += 1
    }

    // MARK: Checks

    /// Election safety over every running node.
    mutating func checkRoles() throws {
        for node in nodes where node.isRunning {
            try checker.observeRole(of: node.id, status: node.raft!.status)
        }
    }
}

extension SplitMix64 {
    /// A number in 0..<bound, drawn uniformly.
    mutating func below(_ bound: Int) -> Int { Int(next(upperBound: UInt64(bound))) }
}
