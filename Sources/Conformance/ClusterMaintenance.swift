import Foundation
import Wire

/// Check 3 (continued): etcd's maintenance commands through etcdctl. On the three members:
/// `endpoint hashkv --cluster` gives one hash, `endpoint status --cluster` one leader and no
/// errors, `alarm list` nothing, `defrag --cluster` finishes on each. `snapshot save` writes a
/// file etcdctl accepts; `ferry-wire snapshot restore` (beside --ferry) makes a data dir from
/// it, and a ferry member started there serves every key at the same revision. Then a
/// cluster of its own with a small --quota-backend-bytes: NOSPACE is raised, puts are refused
/// with etcd's message while reads and deletes work, and compaction, defragmentation and
/// `alarm disarm` let puts in again.
extension ClusterHarness {
    func checkMaintenance() {
        check("3. endpoint hashkv --cluster: one hash; endpoint status --cluster: one leader, no errors; alarm list: empty",
              clusterHashAndStatusProblems())
        check("3. defrag --cluster finishes on every member", defragProblems(endpoint(0), count: 3))
        check("3. snapshot save, ferry-wire snapshot restore, and a member started there serves every key", snapshotRestoreProblems())
        check("3. --quota-backend-bytes: NOSPACE raised and puts refused; compaction, defrag, alarm disarm let them in", quotaProblems())
    }

    // MARK: hashes, status, alarms, defrag

    private func clusterHashAndStatusProblems() -> [String] {
        if case .failure(let problem) = waitForConvergence([0, 1, 2]) { return [problem.description] }
        var problems: [String] = []
        var last = ""
        let agreed = pollUntil(every: 0.2) {
            let result = etcdctl.run([endpoint(0)], ["endpoint", "hashkv", "--cluster", "-w", "json"])
            guard result.ok, case .array(let items)? = result.json else {
                last = "endpoint hashkv --cluster: \(result.summary)"
                return false
            }
            let hashes = items.map { EtcdctlJSON.uint($0["HashKV"]?["hash"]) }
            last = "hashes \(hashes) from \(items.count) members"
            return hashes.count == 3 && Set(hashes).count == 1
        }
        if !agreed { problems.append(last) }
        let status = etcdctl.run([endpoint(0)], ["endpoint", "status", "--cluster", "-w", "json"])
        if status.ok, case .array(let items)? = status.json {
            let leaders = Set(items.map { EtcdctlJSON.uint($0["Status"]?["leader"]) })
            let errors = items.flatMap { EtcdctlJSON.strings($0["Status"]?["errors"]) }
            if items.count != 3 || leaders.count != 1 || leaders.contains(0) { problems.append("endpoint status --cluster: leaders \(leaders) from \(items.count) members") }
            if !errors.isEmpty { problems.append("endpoint status --cluster: errors \(errors)") }
        } else {
            problems.append("endpoint status --cluster: \(status.summary)")
        }
        let alarms = etcdctl.run([endpoint(1)], ["alarm", "list"])
        if !alarms.ok || !alarms.stdout.isEmpty { problems.append("alarm list: \(alarms.ok ? "printed \(alarms.stdout)" : alarms.summary)") }
        return problems
    }

    /// `defrag --cluster` through `endpoint`: one "Finished defragmenting" line per member.
    private func defragProblems(_ endpoint: String, count: Int) -> [String] {
        let result = etcdctl.run([endpoint], ["defrag", "--cluster"], timeout: 10)
        let finished = result.stdout.split(separator: "\n").filter { $0.hasPrefix("Finished defragmenting etcd member[http://127.0.0.1:") }
        return result.ok && finished.count == count ? [] : ["defrag --cluster: \(result.ok ? "printed \(result.stdout)" : result.summary)"]
    }

    // MARK: snapshot save and restore

    private func snapshotRestoreProblems() -> [String] {
        let wire = URL(fileURLWithPath: layout.ferry).deletingLastPathComponent().appendingPathComponent("ferry-wire").path
        guard FileManager.default.isExecutableFile(atPath: wire) else { return ["no ferry-wire beside --ferry (\(wire))"] }
        let original: KeySpace
        switch etcdctl.keySpace(endpoint(0)) {
        case .success(let space): original = space
        case .failure(let problem): return ["get \"\" --prefix: \(problem)"]
        }
        let file = "\(layout.work)/saved.db"
        let save = etcdctl.run([endpoint(0)], ["snapshot", "save", file], timeout: 10)
        guard save.ok, save.stdout.contains("Snapshot saved at \(file)") else { return ["snapshot save: \(save.summary)"] }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        note("3. snapshot saved: \(size) bytes at revision \(original.revision)")

        let member = ClusterMemberSpec(name: "restored", clientPort: layout.members[0].clientPort + 20, peerPort: layout.members[0].peerPort + 20)
        let cluster = "\(member.name)=\(member.peerURL)"
        let restore = runTool(wire, ["snapshot", "restore", file, "--name", member.name, "--initial-cluster", cluster,
                                     "--initial-cluster-token", "restored", "--initial-advertise-peer-urls", member.peerURL,
                                     "--data-dir", "\(layout.work)/restored"])
        guard restore.status == 0 else { return ["ferry-wire snapshot restore exit \(restore.status): \(restore.output)"] }
        let child: ChildProcess
        switch startExtra(member, cluster: cluster, token: "restored") {
        case .success(let started): child = started
        case .failure(let problem): return [problem.description]
        }
        defer { stopExtra(child) }
        if let problem = waitForExtraLeader([member]) { return ["restored member: \(problem)"] }
        var problems: [String] = []
        switch etcdctl.keySpace(member.endpoint) {
        case .success(let restored):
            if let difference = restored.difference(original) { problems.append("restored member differs from the saved one: \(difference)") }
        case .failure(let problem):
            problems.append("get \"\" --prefix via the restored member: \(problem)")
        }
        if let problem = etcdctl.put(member.endpoint, "restore/after", "ok") { problems.append(problem.description) }
        return problems
    }

    // MARK: quota

    private func quotaProblems() -> [String] {
        let members = (0..<3).map { ClusterMemberSpec(name: "q\($0 + 1)", clientPort: layout.members[0].clientPort + 22 + $0,
                                                peerPort: layout.members[0].peerPort + 22 + $0) }
        let cluster = members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        var children: [ChildProcess] = []
        defer { children.forEach(stopExtra) }
        for member in members {
            switch startExtra(member, cluster: cluster, token: "quota", extra: ["--quota-backend-bytes", "60000"]) {
            case .success(let child): children.append(child)
            case .failure(let problem): return [problem.description]
            }
            usleep(20_000)
        }
        if let problem = waitForExtraLeader(members) { return ["quota cluster: \(problem)"] }
        let writer = members[0].endpoint
        let value = String(repeating: "x", count: 10_000)
        var refusal: EtcdctlResult?
        for index in 0..<12 {
            let result = etcdctl.run([writer], ["put", "quota/\(index)", value])
            if !result.ok {
                refusal = result
                break
            }
        }
        var problems: [String] = []
        let noSpace = "Error: etcdserver: mvcc: database space exceeded"
        guard let refusal, refusal.stderr.contains(noSpace) else {
            return ["12 puts of 10 kB under a 60000-byte quota: \(refusal.map { "refused with \($0.summary)" } ?? "none refused")"]
        }
        let status = etcdctl.status(writer)
        let writerID = (try? status.get().memberID) ?? 0
        for member in members {
            let list = etcdctl.run([member.endpoint], ["alarm", "list"])
            if list.stdout != "memberID:\(writerID) alarm:NOSPACE \n" { problems.append("alarm list via \(member.name): \(list.ok ? "printed \(list.stdout)" : list.summary)") }
        }
        let refused = etcdctl.run([members[1].endpoint], ["put", "quota/small", "v"])
        if !refused.stderr.contains(noSpace) { problems.append("a small put while NOSPACE is raised: \(refused.summary)") }
        if case .failure(let problem) = etcdctl.get(members[2].endpoint, "quota/0", serializable: false) { problems.append("get while NOSPACE: \(problem)") }
        let deleted = etcdctl.run([writer], ["del", "quota/", "--prefix", "-w", "json"])
        let revision = EtcdctlJSON.int(deleted.json?["header"]?["revision"])
        if !deleted.ok || revision == 0 { problems.append("del --prefix while NOSPACE: \(deleted.summary)") }
        let compacted = etcdctl.run([writer], ["compact", String(revision)])
        if compacted.stdout != "compacted revision \(revision)\n" { problems.append("compact \(revision): \(compacted.summary)") }
        problems += defragProblems(writer, count: 3)
        let disarm = etcdctl.run([writer], ["alarm", "disarm"])
        if disarm.stdout != "memberID:\(writerID) alarm:NOSPACE \n" { problems.append("alarm disarm: \(disarm.ok ? "printed \(disarm.stdout)" : disarm.summary)") }
        let empty = etcdctl.run([members[2].endpoint], ["alarm", "list"])
        if !empty.ok || !empty.stdout.isEmpty { problems.append("alarm list after disarm: \(empty.ok ? "printed \(empty.stdout)" : empty.summary)") }
        if let problem = etcdctl.put(members[1].endpoint, "quota/after", "ok") { problems.append("put after disarm: \(problem)") }
        return problems
    }

    // MARK: members of their own

    private func startExtra(_ member: ClusterMemberSpec, cluster: String, token: String, extra: [String] = []) -> Result<ChildProcess, ClusterProblem> {
        let path = "\(layout.work)/\(member.name).log"
        guard FileManager.default.createFile(atPath: path, contents: nil), let log = FileHandle(forWritingAtPath: path) else {
            return .failure(ClusterProblem("cannot create \(path)"))
        }
        defer { try? log.close() }
        let arguments = [
            "--name", member.name, "--data-dir", "\(layout.work)/\(member.name)",
            "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
            "--initial-cluster-token", token, "--initial-cluster", cluster, "--initial-cluster-state", "new",
            "--heartbeat-interval", String(ClusterLayout.heartbeatMs), "--election-timeout", String(ClusterLayout.electionMs),
        ] + extra
        do {
            let child = try ChildProcess(executable: layout.ferry, arguments: arguments, directory: layout.work,
                                         environment: ChildProcess.environment(), output: log)
            registry.add(child)
            return .success(child)
        } catch {
            return .failure(ClusterProblem("cannot start \(member.name): \(error)"))
        }
    }

    private func stopExtra(_ child: ChildProcess) {
        child.signal(SIGTERM)
        if child.wait(timeout: 10) == nil { child.killAndReap() }
    }

    /// Polls until every member names the same leader; nil then, else why not.
    private func waitForExtraLeader(_ members: [ClusterMemberSpec]) -> String? {
        var last = "no answer"
        let agreed = pollUntil(every: 0.1) {
            let leaders = members.map { try? etcdctl.status($0.endpoint).get().leader }
            last = "leaders \(leaders.map { $0.map(hex) ?? "none" })"
            guard let first = leaders.first, let leader = first, leader != 0 else { return false }
            return leaders.allSatisfy { $0 == leader }
        }
        return agreed ? nil : "no agreed leader after \(Int(waitLimit)) s: \(last)"
    }

    /// Runs a tool to completion (10 s at most); its exit status and output.
    private func runTool(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let path = "\(layout.work)/tool-\(UUID().uuidString.prefix(8)).out"
        guard FileManager.default.createFile(atPath: path, contents: nil), let out = FileHandle(forWritingAtPath: path) else {
            return (-2, "cannot create \(path)")
        }
        defer {
            try? out.close()
            try? FileManager.default.removeItem(atPath: path)
        }
        do {
            let child = try ChildProcess(executable: executable, arguments: arguments, directory: layout.work,
                                         environment: ChildProcess.environment(), output: out)
            guard let status = child.wait(timeout: 10) else {
                child.killAndReap()
                return (-1, "timed out")
            }
            let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return (status, text.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            return (-2, "cannot run \(executable): \(error)")
        }
    }
}
