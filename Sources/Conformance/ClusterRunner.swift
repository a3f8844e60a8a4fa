import Foundation

/// What `ferry-conformance cluster` was asked to do.
public struct ClusterOptions: Sendable {
    public var ferry: String
    public var walread: String?
    /// tools/v3client: etcd's Lock and Election services called directly (check 3).
    public var v3client: String?
    public var work: String?
    public var basePort: Int
    public var keep: Bool
    public var etcdctl: String

    public init(ferry: String, walread: String? = nil, v3client: String? = nil, work: String? = nil, basePort: Int = 24000,
                keep: Bool = false, etcdctl: String = "/usr/bin/etcdctl") {
        self.ferry = ferry
        self.walread = walread
        self.v3client = v3client
        self.work = work
        self.basePort = basePort
        self.keep = keep
        self.etcdctl = etcdctl
    }
}

/// Real ferry processes on loopback, driven by etcdctl: bad flags, election, reads and writes
/// through every member, leader kill under load, restart and catch-up, full-cluster restart,
/// a member with the wrong cluster token, garbage on every port, and etcd's reading of the
/// WALs left behind. One pass or fail per check, in that order; a check whose cluster never
/// came up ends the run there.
public enum ClusterRunner {
    public static func run(_ options: ClusterOptions) -> Report {
        var report = Report()
        let work: String
        var created = false
        do {
            (work, created) = try prepare(options.work)
        } catch {
            report.fail("work dir: \(error)")
            return report
        }
        signal(SIGPIPE, SIG_IGN)
        let registry = ProcessRegistry()
        registry.killOnSignals()
        let harness = ClusterHarness(
            layout: ClusterLayout(ferry: absolute(options.ferry), work: work, basePort: options.basePort),
            etcdctl: Etcdctl(path: options.etcdctl, scratch: "\(work)/etcdctl"), registry: registry)
        harness.note("work dir \(work), ports \(options.basePort + 1)-\(options.basePort + 40)")
        let busy = ClusterSockets.busyPorts((options.basePort + 1)...(options.basePort + 40))
        if !busy.isEmpty {
            report.fail("ports in use: \(busy.map(String.init).joined(separator: ", ")) (choose another --base-port)")
        } else {
            harness.runAll(walread: options.walread.map(absolute), v3client: options.v3client.map(absolute))
            report.merge(harness.report)
        }
        registry.killAll()
        if report.failed == 0 && !options.keep && created {
            try? FileManager.default.removeItem(atPath: work)
        } else {
            say("work dir kept: \(work) (member logs mN.log)")
        }
        return report
    }

    /// The work dir: `requested` (created if missing, must be empty) or a new temporary one.
    private static func prepare(_ requested: String?) throws -> (String, Bool) {
        let path = requested.map(absolute)
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("ferry-cluster-\(UUID().uuidString.prefix(8))").path
        var created = false
        if FileManager.default.fileExists(atPath: path) {
            let entries = try FileManager.default.contentsOfDirectory(atPath: path)
            guard entries.isEmpty else { throw ClusterProblem("\(path) is not empty") }
        } else {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            created = true
        }
        try FileManager.default.createDirectory(atPath: "\(path)/etcdctl", withIntermediateDirectories: true)
        return (path, created)
    }

    /// A progress line, written at once (not buffered behind the report).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data("cluster: \(line)\n".utf8))
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// The state of one run: the layout, the member processes, the report so far.
final class ClusterHarness: @unchecked Sendable {
    let layout: ClusterLayout
    let etcdctl: Etcdctl
    let registry: ProcessRegistry
    var report = Report()
    var processes: [ChildProcess?] = [nil, nil, nil]
    /// Member ids, learned from `endpoint status` once the cluster is up.
    var ids: [UInt64] = [0, 0, 0]
    /// Members whose unexpected exit a failure already named.
    var reportedExits: Set<Int> = []
    /// The member check 4 killed.
    var killed: Int?
    /// The key space all three held when last compared.
    var lastState: KeySpace?

    init(layout: ClusterLayout, etcdctl: Etcdctl, registry: ProcessRegistry) {
        self.layout = layout
        self.etcdctl = etcdctl
        self.registry = registry
    }

    /// The checks in order; the run stops at the first one after which the rest cannot run.
    func runAll(walread: String?, v3client: String?) {
        checkBadFlags()
        guard checkElection() else { return skip("after no leader was elected") }
        checkReadsAndWrites()
        checkLockAndElection(v3client: v3client)
        checkMaintenance()
        checkWatch()
        guard checkLeaderKill() else { return skip("after the leader-kill check") }
        guard checkRestartKilled() else { return skip("after the killed member did not rejoin") }
        guard checkFullRestart() else { return skip("after the full restart") }
        guard checkWrongToken() else { return skip("after the wrong-token check") }
        checkGarbage()
        stopAll()
        if let walread { checkWALs(walread: walread) } else { note("9. no --walread: WAL comparison with etcd skipped") }
    }

    private func skip(_ why: String) {
        report.fail("remaining checks not run \(why)")
        note("remaining checks not run \(why)")
    }

    // MARK: - reporting

    func note(_ line: String) { ClusterRunner.say(line) }

    /// Records one check; true when it passed. A failure also names any member that died.
    @discardableResult
    func check(_ name: String, _ problems: [String]) -> Bool {
        var problems = problems
        if !problems.isEmpty { problems[0] += unexpectedExits() }
        report.record(name, problems)
        note(problems.isEmpty ? "pass  \(name)" : "FAIL  \(name): \(problems[0])")
        return problems.isEmpty
    }

    // MARK: - members

    var endpoints: [String] { layout.members.map(\.endpoint) }
    func endpoint(_ index: Int) -> String { layout.members[index].endpoint }
    func name(_ index: Int) -> String { layout.members[index].name }

    /// Starts member `index`; a problem when it cannot be started.
    func start(_ index: Int, token: String = ClusterLayout.token, dataDir: String? = nil) -> String? {
        do {
            let child = try layout.start(index, token: token, dataDir: dataDir)
            registry.add(child)
            processes[index] = child
            return nil
        } catch {
            return "cannot start \(name(index)): \(error)"
        }
    }

    /// Sends `signal` and waits for the exit; the exit status (nil when it had to be killed).
    @discardableResult
    func stop(_ index: Int, signal: Int32 = SIGTERM, timeout: Double = 10) -> Int32? {
        guard let child = processes[index] else { return 0 }
        child.signal(signal)
        let status = child.wait(timeout: timeout)
        if status == nil { child.killAndReap() }
        processes[index] = nil
        return status
    }

    func stopAll() {
        for index in 0..<3 where processes[index] != nil {
            let status = stop(index)
            if status != 0 { note("\(name(index)) stopped with status \(status.map(String.init) ?? "none (killed after 10 s)")") }
        }
    }

    /// A problem for each member of `indexes` whose process has exited.
    func deadMembers(_ indexes: [Int]) -> [String] {
        indexes.compactMap { index in
            guard let child = processes[index] else { return "\(name(index)) is not running" }
            guard let status = child.exitStatus else { return nil }
            return "\(name(index)) exited with status \(status); log tail:\n\(layout.logTail(index))"
        }
    }

    /// Members that exited without being stopped, each with the crash lines of its log; each
    /// named once.
    private func unexpectedExits() -> String {
        var out = ""
        for index in 0..<3 where !reportedExits.contains(index) {
            guard let status = processes[index]?.exitStatus else { continue }
            reportedExits.insert(index)
            out += " [\(name(index)) exited unexpectedly with status \(status)"
            let log = FileManager.default.contents(atPath: layout.logPath(index)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let lines = log.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if let crash = lines.firstIndex(where: { $0.contains("Program crashed") }) {
                let frames = lines.firstIndex(where: { $0.hasSuffix("crashed:") }).map { Array(lines[($0)...].prefix(6)) } ?? []
                out += ": " + ([lines[crash]] + frames).joined(separator: "\n    ")
            } else {
                out += "; log tail:\n" + layout.logTail(index, lines: 5)
            }
            out += "]"
        }
        return out
    }
}
