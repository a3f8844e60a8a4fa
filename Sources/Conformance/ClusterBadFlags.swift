import Foundation

/// Check 1: flags ferry must refuse before it touches the disk.
extension ClusterHarness {
    func checkBadFlags() {
        let ports = layout.members.map { $0.peerPort + 20 }  // nothing else listens there
        let cluster = zip(layout.members, ports).map { "\($0.name)=http://127.0.0.1:\($1)" }.joined(separator: ",")
        func flags(name: String, dataDir: String) -> [String] {
            ["--name", name, "--data-dir", dataDir, "--initial-cluster", cluster,
             "--listen-peer-urls", "http://127.0.0.1:\(ports[0])", "--initial-advertise-peer-urls", "http://127.0.0.1:\(ports[0])",
             "--listen-client-urls", "http://127.0.0.1:\(ports[0] + 5)", "--advertise-client-urls", "http://127.0.0.1:\(ports[0] + 5)"]
        }
        let root = "\(layout.work)/bad-flags"
        let cases: [(label: String, arguments: [String], words: [String], dataDir: String)] = [
            ("an unknown flag (--no-such-flag)", ["--no-such-flag"], ["no-such-flag"], "default.ferry"),
            ("a name not in --initial-cluster", flags(name: "ghost", dataDir: "\(root)/ghost.data") + ["--initial-cluster-token", "t"],
             ["ghost", "initial cluster"], "\(root)/ghost.data"),
            ("--election-timeout 400 < 5 x --heartbeat-interval 100",
             flags(name: layout.members[0].name, dataDir: "\(root)/timeout.data") + ["--heartbeat-interval", "100", "--election-timeout", "400"],
             ["election-timeout", "heartbeat-interval"], "\(root)/timeout.data"),
        ]
        for (number, item) in cases.enumerated() {
            let cwd = "\(root)/cwd\(number)"
            try? FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
            let (status, output) = runToExit(arguments: item.arguments, directory: cwd)
            var problems: [String] = []
            let message = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").prefix(2).joined(separator: " | ")
            if status != 1 { problems.append("exit status \(status.map(String.init) ?? "none: still running after 10 s, killed"), want 1; output: \(message)") }
            let lower = output.lowercased()
            for word in item.words where !lower.contains(word.lowercased()) {
                problems.append("the message does not name \"\(word)\": \(message)")
            }
            let dataDir = item.dataDir.hasPrefix("/") ? item.dataDir : "\(cwd)/\(item.dataDir)"
            if FileManager.default.fileExists(atPath: dataDir) { problems.append("created the data dir \(dataDir)") }
            let left = (try? FileManager.default.contentsOfDirectory(atPath: cwd)) ?? []
            if !left.isEmpty { problems.append("left files in its working directory: \(left.joined(separator: ", "))") }
            if problems.isEmpty { note("1. \(item.label): exit 1, \"\(message)\"") }
            check("1. bad flags: \(item.label) exits 1 with a message and no data dir", problems)
        }
    }

    /// Runs ferry to its exit (killed after 10 s); its status and everything it printed.
    private func runToExit(arguments: [String], directory: String) -> (Int32?, String) {
        let path = "\(directory).output"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let output = FileHandle(forWritingAtPath: path) else { return (nil, "cannot create \(path)") }
        defer { try? output.close() }
        do {
            let child = try ChildProcess(executable: layout.ferry, arguments: arguments, directory: directory,
                                         environment: ChildProcess.environment(), output: output)
            registry.add(child)
            let status = child.wait(timeout: 10)
            if status == nil { child.killAndReap() }
            let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return (status, text)
        } catch {
            return (nil, "cannot run \(layout.ferry): \(error)")
        }
    }
}
