import Foundation

/// One spawned child process (a ferry member or an etcdctl run): started with its output sent
/// to files, never to pipes, so no reader can hang on a descriptor another child inherited.
final class ChildProcess: @unchecked Sendable {
    /// The exit status, set once by the termination handler.
    private final class Exit: @unchecked Sendable {
        let lock = NSLock()
        let done = DispatchSemaphore(value: 0)
        var status: Int32?
    }

    private let process = Process()
    private let ended = Exit()

    let pid: Int32

    /// Starts `executable`; stdin is `stdin` or /dev/null; stdout goes to `output`, stderr to
    /// `errors` or also to `output`.
    init(executable: String, arguments: [String], directory: String, environment: [String: String],
         stdin: FileHandle? = nil, output: FileHandle, errors: FileHandle? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors ?? output
        let ended = ended
        process.terminationHandler = { process in
            let code = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
            ended.lock.lock()
            ended.status = code
            ended.lock.unlock()
            ended.done.signal()
        }
        try process.run()
        pid = process.processIdentifier
    }

    var isRunning: Bool { exitStatus == nil }

    /// The exit code, or 128 + the signal that ended it; nil while it runs.
    var exitStatus: Int32? {
        ended.lock.lock()
        defer { ended.lock.unlock() }
        return ended.status
    }

    func signal(_ number: Int32) {
        if isRunning { kill(pid, number) }
    }

    /// Waits up to `timeout` seconds; the exit status, or nil if it still runs.
    @discardableResult
    func wait(timeout: Double) -> Int32? {
        if let status = exitStatus { return status }
        guard ended.done.wait(timeout: .now() + timeout) == .success else { return nil }
        ended.done.signal()  // later waiters return at once
        return exitStatus
    }

    /// SIGKILL unless it has exited, then reap it.
    func killAndReap() {
        signal(SIGKILL)
        wait(timeout: 10)
    }

    /// A minimal environment: nothing from ours (no ETCD_* or ETCDCTL_* leaks in).
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var out = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        for (key, value) in extra { out[key] = value }
        return out
    }
}

/// Every member process the run has started, so all of them die with the run, on any path
/// out of it (normal end, failure, or SIGINT/SIGTERM of the runner).
final class ProcessRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var children: [ChildProcess] = []
    private var signalSources: [any DispatchSourceSignal] = []

    func add(_ child: ChildProcess) {
        lock.lock()
        children.append(child)
        lock.unlock()
    }

    func killAll() {
        lock.lock()
        let all = children
        children = []
        lock.unlock()
        for child in all { child.signal(SIGKILL) }
        for child in all { child.wait(timeout: 10) }
    }

    /// Kills every child, then exits, when the runner itself is interrupted or terminated.
    func killOnSignals() {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                killAll()
                FileHandle.standardError.write(Data("ferry-conformance cluster: interrupted; members killed\n".utf8))
                exit(128 + number)
            }
            source.resume()
            signalSources.append(source)
        }
    }
}

/// Where one member listens and keeps its data.
struct ClusterMemberSpec: Sendable {
    let name: String
    let clientPort: Int
    let peerPort: Int

    var clientURL: String { "http://127.0.0.1:\(clientPort)" }
    var peerURL: String { "http://127.0.0.1:\(peerPort)" }
    /// What etcdctl's --endpoints takes.
    var endpoint: String { "127.0.0.1:\(clientPort)" }
}

/// The three members, their shared flags, and how to start one.
struct ClusterLayout: Sendable {
    static let token = "ferry-conformance-cluster"
    static let heartbeatMs = 50
    static let electionMs = 500

    let ferry: String
    let work: String
    let members: [ClusterMemberSpec]

    init(ferry: String, work: String, basePort: Int) {
        self.ferry = ferry
        self.work = work
        members = (1...3).map { ClusterMemberSpec(name: "m\($0)", clientPort: basePort + $0, peerPort: basePort + 10 + $0) }
    }

    var initialCluster: String { members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",") }

    func dataDir(_ index: Int) -> String { "\(work)/\(members[index].name)" }
    func logPath(_ index: Int) -> String { "\(work)/\(members[index].name).log" }

    /// etcd's flags for member `index`.
    func arguments(_ index: Int, token: String = ClusterLayout.token, dataDir: String? = nil) -> [String] {
        let member = members[index]
        return [
            "--name", member.name, "--data-dir", dataDir ?? self.dataDir(index),
            "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
            "--initial-cluster-token", token, "--initial-cluster", initialCluster,
            "--initial-cluster-state", "new",
            "--heartbeat-interval", String(ClusterLayout.heartbeatMs), "--election-timeout", String(ClusterLayout.electionMs),
        ]
    }

    /// Starts member `index`, its log lines appended to `DIR/mN.log`.
    func start(_ index: Int, token: String = ClusterLayout.token, dataDir: String? = nil) throws -> ChildProcess {
        let path = logPath(index)
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let log = FileHandle(forWritingAtPath: path) else { throw Files.Missing(path: path) }
        defer { try? log.close() }
        log.seekToEndOfFile()
        log.write(Data("--- start \(members[index].name) token=\(token) data-dir=\(dataDir ?? self.dataDir(index))\n".utf8))
        return try ChildProcess(executable: ferry, arguments: arguments(index, token: token, dataDir: dataDir),
                                directory: work, environment: ChildProcess.environment(), output: log)
    }

    /// The last `lines` lines of member `index`'s log, for a failure's evidence.
    func logTail(_ index: Int, lines: Int = 12) -> String {
        guard let data = FileManager.default.contents(atPath: logPath(index)) else { return "(no log)" }
        let all = String(decoding: data, as: UTF8.self).split(separator: "\n")
        return all.suffix(lines).joined(separator: "\n")
    }
}
