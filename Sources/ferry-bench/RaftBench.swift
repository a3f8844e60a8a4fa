import ArgumentParser
import Foundation
import Raft
import Wire

/// `ferry-bench raft`: the Raft core alone, as etcd's raftbench measures it
/// (../shared/etcd-tools): three RawNodes with MemoryStorage on one thread, one FIFO
/// queue of messages; the leader gets 64 proposals of 256 B, then the cluster runs until
/// they commit, over and over.
struct RaftBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft", abstract: "Raft core throughput, 3 in-memory nodes on one thread (run a release build).")

    @Option(help: "Seconds to run.") var seconds: Double = 3.0
    @Option(help: "A raftbench binary to run beside Ferry (built from ../shared/etcd-tools when absent).")
    var etcdRaftbench: String?

    func run() throws {
        var cluster = try BenchCluster(ids: [1, 2, 3])
        cluster.pump()
        try cluster.nodes[0].campaign()
        cluster.pump()
        cluster.steps = 0
        let payload = Data(count: 256)
        var committed = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed: UInt64 = 0
        while elapsed < UInt64(seconds * 1e9) {
            for _ in 0..<64 { try cluster.nodes[0].propose(payload) }
            committed += cluster.pump()
            elapsed = DispatchTime.now().uptimeNanoseconds - start
        }
        let time = Double(elapsed) / 1e9
        let proposals = Double(committed) / time, steps = Double(cluster.steps) / time

        print("Ferry Raft core, 3 nodes in memory, one thread, batches of 64 × 256 B:")
        print("system".padding(toLength: 28, withPad: " ", startingAt: 0) + " proposals/s     steps/s")
        print("Ferry".padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%12.0f %11.0f", proposals, steps))
        if let etcd = etcdFigures() {
            print("etcd 3.4.23".padding(toLength: 28, withPad: " ", startingAt: 0)
                  + String(format: "%12.0f %11.0f", etcd.proposals, etcd.steps))
        } else {
            print("etcd raftbench: not available")
        }
        print(jsonLine(["proposals_per_s": proposals.rounded(), "steps_per_s": steps.rounded()]))
    }

    /// etcd's raftbench figures, when a binary is given or can be built.
    func etcdFigures() -> (proposals: Double, steps: Double)? {
        var path = etcdRaftbench
        if path == nil {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-raftbench").path
            if runProcess("/bin/bash", ["../shared/etcd-tools/build.sh", "raftbench", out]) != nil { path = out }
        }
        guard let path, let line = runProcess(path, []),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let proposals = object["proposals_per_s"] as? Double, let steps = object["steps_per_s"] as? Double
        else { return nil }
        return (proposals, steps)
    }
}

/// Three (or more) RawNodes bootstrapped with every ID as a voter, driven as an
/// application would: persist each Ready, queue its messages, apply, advance.
private struct BenchCluster {
    var nodes: [RawNode] = []
    var storages: [MemoryStorage] = []
    var queue: [Message] = []
    var head = 0
    var steps = 0

    init(ids: [UInt64]) throws {
        for id in ids {
            let storage = MemoryStorage()
            try storage.applySnapshot(Snapshot(metadata: SnapshotMetadata(confState: ConfState(voters: ids), index: 1, term: 1)))
            storage.setHardState(HardState(term: 1, commit: 1))
            var config = RaftConfig(id: id, storage: storage)
            config.electionTick = 10
            config.heartbeatTick = 1
            config.applied = 1
            config.maxSizePerMsg = 1 << 20
            config.maxInflightMsgs = 256
            config.random = SplitMix64(seed: id)
            nodes.append(try RawNode(config: config))
            storages.append(storage)
        }
    }

    /// Runs until no node has work and no message is queued; returns how many proposals
    /// the leader (node 1) saw committed.
    @discardableResult
    mutating func pump() -> Int {
        var committed = 0
        while true {
            var progressed = false
            for i in nodes.indices {
                while nodes[i].hasReady {
                    progressed = true
                    let ready = nodes[i].ready()
                    if let hardState = ready.hardState { storages[i].setHardState(hardState) }
                    storages[i].append(ready.entries)
                    queue.append(contentsOf: ready.messages)
                    if i == 0 { committed += ready.committedEntries.count(where: { !($0.data?.isEmpty ?? true) }) }
                    nodes[i].advance(ready)
                }
            }
            while head < queue.count {
                progressed = true
                let message = queue[head]
                head += 1
                try? nodes[Int(message.to) - 1].step(message)
                steps += 1
            }
            queue.removeAll(keepingCapacity: true)
            head = 0
            if !progressed { return committed }
        }
    }
}
