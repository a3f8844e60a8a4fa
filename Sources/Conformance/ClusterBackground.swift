import Foundation

/// A long-lived etcdctl (watch, elect, lock) whose output a check reads while it runs: stdout
/// and stderr go to files in the scratch folder (never pipes), which stay there as a failing
/// run's evidence.
final class BackgroundEtcdctl {
    let child: ChildProcess
    let endpoint: String
    private let outputPath: String
    private let errorsPath: String

    init(_ etcdctl: Etcdctl, _ endpoint: String, _ arguments: [String]) throws {
        self.endpoint = endpoint
        let base = "\(etcdctl.scratch)/\(arguments.first ?? "etcdctl")-\(UUID().uuidString)"
        outputPath = base + ".out"
        errorsPath = base + ".err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorsPath, contents: nil)
        guard let output = FileHandle(forWritingAtPath: outputPath) else { throw Files.Missing(path: outputPath) }
        guard let errors = FileHandle(forWritingAtPath: errorsPath) else { throw Files.Missing(path: errorsPath) }
        defer { try? output.close(); try? errors.close() }
        child = try ChildProcess(executable: etcdctl.path, arguments: ["--endpoints", endpoint, "--dial-timeout", "1s"] + arguments,
                                 directory: etcdctl.scratch, environment: ChildProcess.environment(["ETCDCTL_API": "3"]),
                                 output: output, errors: errors)
    }

    var output: String { Self.text(outputPath) }
    var errors: String { Self.text(errorsPath) }
    var lines: [String] { output.split(separator: "\n").map(String.init) }

    /// The last few lines of stdout and stderr, for a failure message.
    var tail: String { (lines.suffix(3) + errors.split(separator: "\n").suffix(2).map(String.init)).joined(separator: " | ") }

    /// Waits up to `seconds` until the output satisfies `done`; false when it never did, or
    /// etcdctl exited without it.
    func wait(seconds: Double, until done: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !done(output) {
            if Date() > deadline || !child.isRunning { return done(output) }
            usleep(20_000)
        }
        return true
    }

    /// Waits up to `seconds` for `line` in the output.
    func wait(for line: String, seconds: Double) -> Bool {
        wait(seconds: seconds) { $0.split(separator: "\n").contains { $0 == line } }
    }

    /// SIGTERM (etcdctl resigns, unlocks or stops watching) unless it has exited; the exit
    /// status, nil when it had to be killed.
    @discardableResult
    func stop() -> Int32? {
        child.signal(SIGTERM)
        let status = child.wait(timeout: waitLimit)
        if status == nil { child.killAndReap() }
        return status
    }

    private static func text(_ path: String) -> String {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
