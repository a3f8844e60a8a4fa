import Foundation

/// Check 3 (continued): elections and etcd's lock and election gRPC services.
/// - `etcdctl elect` (clientv3/concurrency's Election over Lease, Txn and Watch) through two
///   members: the second campaigner waits until the first resigns, and an observer on the
///   third sees both leaders in order.
/// - With `--v3client`, that Go program calls v3lockpb and v3electionpb directly with two
///   contenders through two members and checks them against etcd 3.4's behaviour.
extension ClusterHarness {
    func checkLockAndElection(v3client: String?) {
        checkElect()
        if let v3client {
            checkV3Client(v3client)
        } else {
            note("3. no --v3client: etcd's Lock and Election services unchecked")
        }
    }

    private func checkElect() {
        let election = "ci-elect-\(UUID().uuidString.prefix(8))"
        let proposals = ["A-\(election)", "B-\(election)"]
        var problems: [String] = []
        var started: [BackgroundEtcdctl] = []
        defer { for elector in started where elector.child.isRunning { elector.child.killAndReap() } }
        func elector(_ index: Int, _ arguments: [String]) -> BackgroundEtcdctl? {
            do {
                let elector = try BackgroundEtcdctl(etcdctl, endpoint(index), ["elect"] + arguments)
                registry.add(elector.child)
                started.append(elector)
                return elector
            } catch {
                problems.append("cannot run etcdctl elect: \(error)")
                return nil
            }
        }
        guard let observer = elector(2, ["-l", election]), let first = elector(0, [election, proposals[0]]) else {
            check("3. etcdctl elect through two members: one leader at a time, hand-over on resign, observed", problems)
            return
        }
        if !first.wait(for: proposals[0], seconds: waitLimit) {
            problems.append("A (via \(name(0))) was not elected: \(first.tail)")
        } else if let second = elector(1, [election, proposals[1]]) {
            // B campaigns with a key under the election's prefix; with A's key before it, B
            // must wait, and not print its proposal until A resigns.
            if !pollUntil({ keys(under: election + "/").count == 2 }) {
                problems.append("B's key never appeared under \(election)/: \(keys(under: election + "/")) (B: \(second.tail))")
            } else if second.lines.contains(proposals[1]) {
                problems.append("B (via \(name(1))) was elected while A led")
            }
            let resigned = Date()
            if let status = first.stop(), status != 0 { problems.append("A's etcdctl elect exited \(status) on SIGTERM; etcd's resigns and exits 0") }
            if !second.wait(for: proposals[1], seconds: waitLimit) {
                problems.append("B was not elected after A resigned: \(second.tail)")
            } else {
                note("3. leadership handed from A (via \(name(0))) to B (via \(name(1))) \(Int(Date().timeIntervalSince(resigned) * 1000)) ms after A resigned")
            }
            if let status = second.stop(), status != 0 { problems.append("B's etcdctl elect exited \(status) on SIGTERM") }
        }
        if problems.isEmpty {
            _ = observer.wait(for: proposals[1], seconds: waitLimit)
            let seen = observer.lines.filter { proposals.contains($0) }
            if seen != proposals { problems.append("the observer via \(name(2)) saw \(seen), want \(proposals)") }
        }
        if let status = observer.stop(), status != 0, problems.isEmpty { problems.append("the observer's etcdctl exited \(status) on SIGTERM") }
        check("3. etcdctl elect through two members: one leader at a time, hand-over on resign, observed", problems)
    }

    private func checkV3Client(_ path: String) {
        let output = "\(etcdctl.scratch)/v3client-\(UUID().uuidString).out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        var problems: [String] = []
        if let handle = FileHandle(forWritingAtPath: output) {
            defer { try? handle.close() }
            do {
                let child = try ChildProcess(executable: path, arguments: ["-endpoints", "\(endpoint(0)),\(endpoint(1))"],
                                             directory: etcdctl.scratch, environment: ChildProcess.environment(), output: handle)
                registry.add(child)
                let status = child.wait(timeout: 90)
                if status == nil { child.killAndReap() }
                let text = FileManager.default.contents(atPath: output).map { String(decoding: $0, as: UTF8.self) } ?? ""
                if status != 0 {
                    problems.append("v3client \(status.map { "exited \($0)" } ?? "timed out"): \(text.split(separator: "\n").suffix(3).joined(separator: " | "))")
                }
            } catch {
                problems.append("cannot run \(path): \(error)")
            }
        } else {
            problems.append("cannot create \(output)")
        }
        try? FileManager.default.removeItem(atPath: output)
        check("3. etcd's Lock and Election gRPC services called directly (v3client) by two contenders through two members", problems)
    }
}
