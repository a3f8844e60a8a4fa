import Foundation
import Wire

/// The processes and checks of `ferry-conformance lifecycle`: members m1...m4 on ports
/// base+1... (client) and base+11... (peer).
final class LifecycleCluster: @unchecked Sendable {
    static let token = "ferry-lifecycle"
    let ferry: String
    let work: String
    let etcdctl: Etcdctl
    let registry: ProcessRegistry
    let members: [ClusterMemberSpec]
    var processes: [Int: ChildProcess] = [:]
    /// Peer URLs changed by `member update`, by member index.
    var peerURLs: [Int: String] = [:]
    /// Who is in the cluster now, by index into `members`.
    var current: [Int] = [0, 1, 2]
    var report = Report()
    let load = LifecycleLoad()

    init(ferry: String, work: String, basePort: Int, etcdctl: Etcdctl, registry: ProcessRegistry) {
        self.ferry = ferry
        self.work = work
        self.etcdctl = etcdctl
        self.registry = registry
        members = (1...4).map { ClusterMemberSpec(name: "m\($0)", clientPort: basePort + $0, peerPort: basePort + 10 + $0) }
    }

    func note(_ line: String) { LifecycleRunner.say(line) }

    @discardableResult
    func check(_ name: String, _ problems: [String]) -> Bool {
        report.record(name, problems)
        note(problems.isEmpty ? "pass  \(name)" : "FAIL  \(name): \(problems.joined(separator: "; ").prefix(1500))")
        return problems.isEmpty
    }

    func dataDir(_ index: Int) -> String { "\(work)/\(members[index].name)" }
    func logPath(_ index: Int) -> String { "\(work)/\(members[index].name).log" }
    func log(_ index: Int) -> String { FileManager.default.contents(atPath: logPath(index)).map { String(decoding: $0, as: UTF8.self) } ?? "" }
    func endpoint(_ index: Int) -> String { members[index].endpoint }

    // MARK: Processes

    /// Starts member `index`; `peerURL` overrides its peer URL (after `member update`).
    func start(_ index: Int, cluster: [Int], state: String, peerURL: String? = nil) -> String? {
        let member = members[index]
        let peer = peerURL ?? peerURLs[index] ?? member.peerURL
        peerURLs[index] = peer
        let initialCluster = cluster.map { "\(members[$0].name)=\(peerURLs[$0] ?? members[$0].peerURL)" }.joined(separator: ",")
        let arguments = [
            "--name", member.name, "--data-dir", dataDir(index),
            "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster-token", Self.token, "--initial-cluster", initialCluster, "--initial-cluster-state", state,
            "--heartbeat-interval", "50", "--election-timeout", "500",
            "--snapshot-count", "1000", "--max-snapshots", "2", "--max-wals", "2",
        ]
        if !FileManager.default.fileExists(atPath: logPath(index)) { _ = FileManager.default.createFile(atPath: logPath(index), contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: logPath(index)) else { return "cannot open \(logPath(index))" }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        do {
            let child = try ChildProcess(executable: ferry, arguments: arguments, directory: work, environment: ChildProcess.environment(), output: handle)
            registry.add(child)
            processes[index] = child
            return nil
        } catch {
            return "cannot start \(member.name): \(error)"
        }
    }

    /// SIGTERM and wait; a problem unless it exits 0 (or 143, as etcd) within 10 s.
    func stop(_ index: Int) -> String? {
        guard let child = processes.removeValue(forKey: index) else { return nil }
        child.signal(SIGTERM)
        let status = child.wait(timeout: 10)
        if status == nil { child.killAndReap() }
        return status == 0 || status == 143 ? nil : "\(members[index].name) exit status \(status.map(String.init) ?? "none (killed)")"
    }

    // MARK: Views

    /// The leader all of `indexes` agree on, waiting up to `timeout`.
    func waitForLeader(_ indexes: [Int], timeout: Double = waitLimit) -> Result<Int, ClusterProblem> {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no answer"
        while Date() < deadline {
            var leaders: Set<UInt64> = []
            var ids: [UInt64: Int] = [:]
            for index in indexes {
                switch etcdctl.status(endpoint(index)) {
                case .success(let status):
                    leaders.insert(status.leader)
                    ids[status.memberID] = index
                case .failure(let problem):
                    last = "\(members[index].name): \(problem)"
                    leaders.insert(0)
                }
            }
            if leaders.count == 1, let leader = leaders.first, leader != 0, let index = ids[leader] { return .success(index) }
            if leaders.count > 1 { last = "leaders seen: \(leaders.map(hex))" }
            usleep(100_000)
        }
        return .failure(ClusterProblem("no agreed leader within \(timeout) s: \(last)"))
    }

    /// How many keys start with `prefix` on `index`, read serializably (what it holds itself).
    func count(_ index: Int, prefix: String) -> Int? {
        let result = etcdctl.run([endpoint(index)], ["get", prefix, "--prefix", "--limit", "1", "-w", "json", "--consistency=s"])
        guard result.ok, let json = result.json else { return nil }
        return Int(EtcdctlJSON.int(json["count"]))
    }

    /// The keys under `prefix` on `index`, read serializably.
    func keys(_ index: Int, prefix: String) -> Set<String>? {
        let result = etcdctl.run([endpoint(index)], ["get", prefix, "--prefix", "--keys-only", "--consistency=s"], timeout: 10)
        guard result.ok else { return nil }
        return Set(result.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty })
    }

    /// Waits until `index` has applied what the leader had applied when asked.
    func waitCaughtUp(_ index: Int, leader: Int, timeout: Double = waitLimit) -> Result<Double, ClusterProblem> {
        guard case .success(let target) = etcdctl.status(endpoint(leader)) else { return .failure(ClusterProblem("leader status failed")) }
        let started = Date()
        var last = "no answer"
        while Date().timeIntervalSince(started) < timeout {
            switch etcdctl.status(endpoint(index)) {
            case .success(let status):
                if status.appliedIndex >= target.appliedIndex { return .success(Date().timeIntervalSince(started)) }
                last = "applied \(status.appliedIndex) of \(target.appliedIndex)"
            case .failure(let problem):
                last = problem.description
            }
            usleep(50_000)
        }
        return .failure(ClusterProblem("\(members[index].name) not caught up in \(Int(timeout)) s: \(last)"))
    }

    func files(_ index: Int, _ folder: String, suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(dataDir(index))/member/\(folder)")) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }

    static func pairs(_ prefix: String, count: Int, size: Int, distinct: Int? = nil) -> [(key: String, value: [UInt8])] {
        (0..<count).map { i in
            let key = String(format: "%@%06d", prefix, distinct.map { i % $0 } ?? i)
            return (key, Array(repeating: UInt8(ascii: "a") + UInt8(i % 26), count: size))
        }
    }
}
