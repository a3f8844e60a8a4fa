import Foundation
import Wire

/// Checks 6 and 7: stop and restart the whole cluster; a member with the wrong cluster token.
extension ClusterHarness {
    /// Check 6; false when the cluster did not come back.
    func checkFullRestart() -> Bool {
        let before: KeySpace
        switch sameState([0, 1, 2]) {
        case .success(let space): before = space
        case .failure(let problem): return check("6. the same state on all three before the full restart", [problem.description])
        }
        var problems: [String] = []
        for index in 0..<3 {
            let status = stop(index)
            if status != 0 && status != 128 + SIGTERM {  // etcd re-raises the signal: 143
                problems.append("\(name(index)) exit status \(status.map(String.init) ?? "none: still running 10 s after SIGTERM, killed"); log tail:\n\(layout.logTail(index))")
            }
        }
        check("6. SIGTERM stops all three members cleanly (exit 0, or 143 as etcd, within 10 s)", problems)

        for index in 0..<3 {
            if let problem = start(index) { return check("6. restart all three", [problem]) }
            usleep(20_000)
        }
        switch waitForLeader([0, 1, 2]) {
        case .success(let agreed):
            note("6. after the full restart \(name(agreed.leader)) leads, \(agreed.ms) ms after start")
        case .failure(let problem):
            return check("6. after restarting all three, a leader all agree on", [problem.description])
        }
        switch sameState([0, 1, 2]) {
        case .success(let space):
            let difference = space.difference(before)
            check("6. after the full restart all three hold the state from before (\(before.keys.count) keys, revision \(before.revision))",
                  difference.map { ["now vs before: \($0)"] } ?? [])
        case .failure(let problem):
            return check("6. after the full restart all three hold the state from before", [problem.description])
        }
        check("6. writes work after the full restart", writeEverywhere(prefix: "restart/"))
        return true
    }

    /// Puts a key through each member and reads it back linearizably through every member.
    func writeEverywhere(prefix: String) -> [String] {
        var problems: [String] = []
        for writer in 0..<3 {
            let key = "\(prefix)\(name(writer))"
            let value = UUID().uuidString
            if let problem = etcdctl.put(endpoint(writer), key, value) {
                problems.append(problem.description)
                continue
            }
            for reader in 0..<3 {
                switch etcdctl.get(endpoint(reader), key, serializable: false) {
                case .success(value): break
                case .success(let other): problems.append("get \(key) via \(name(reader)): \(other ?? "absent"), want \(value)")
                case .failure(let problem): problems.append("get \(key) via \(name(reader)): \(problem)")
                }
            }
        }
        return problems
    }

    /// Check 7; false when m3 did not rejoin.
    func checkWrongToken() -> Bool {
        let member = 2
        let dataDir = layout.dataDir(member)
        let saved = "\(dataDir).saved"
        stop(member)
        // If it led, let the other two elect a leader first: proposals forwarded to a leader
        // that just stopped are lost and their puts time out, in etcd as well.
        if case .failure(let problem) = waitForLeader([0, 1]) {
            return check("7. m1 and m2 elect a leader after \(name(member)) stops", [problem.description])
        }
        do {
            try FileManager.default.moveItem(atPath: dataDir, toPath: saved)
        } catch {
            return check("7. move \(name(member))'s data dir aside", ["\(error)"])
        }
        let logStarts = (0..<3).map { (FileManager.default.contents(atPath: layout.logPath($0))?.count) ?? 0 }
        if let problem = start(member, token: "wrong", dataDir: dataDir) { return check("7. start with the wrong token", [problem]) }
        // The lines of member `index`'s log since that start which report a refusal.
        func refusals(_ index: Int) -> [Substring] {
            let log = FileManager.default.contents(atPath: layout.logPath(index)).map { String(decoding: $0.dropFirst(logStarts[index]), as: UTF8.self) } ?? ""
            return log.split(separator: "\n").filter { $0.contains("request cluster ID mismatch") }
        }
        // m3 is shut out once both sides have turned away raft messages of the other (each
        // logs a cluster ID mismatch); meanwhile m3 must see no leader and the others keep
        // taking writes.
        var problems: [String] = []
        var writes = 0
        var refused = false
        let begun = Date()
        while !refused || writes < 10 {
            refused = !refusals(member).isEmpty && !(refusals(0) + refusals(1)).isEmpty
            if case .success(let status) = etcdctl.status(endpoint(member), timeout: 0.5), status.leader != 0 {
                problems.append("\(name(member)) with the wrong token sees leader \(hex(status.leader)) after \(Int(Date().timeIntervalSince(begun) * 1000)) ms")
                break
            }
            guard Date().timeIntervalSince(begun) < waitLimit else {
                problems.append("after \(Int(waitLimit)) s, \(refusals(member).count) refusals in \(name(member))'s log, \((refusals(0) + refusals(1)).count) in m1's and m2's; \(writes) writes")
                break
            }
            let writer = writes % 2
            if let problem = etcdctl.put(endpoint(writer), "token/\(writes)", "x") {
                problems.append("healthy member \(name(writer)) refused a write: \(problem)")
                break
            }
            writes += 1
            usleep(50_000)
        }
        if problems.isEmpty {
            // Asked after the refusals, this status must answer, and name no leader.
            switch etcdctl.status(endpoint(member), timeout: waitLimit) {
            case .success(let status) where status.leader != 0: problems.append("\(name(member)) with the wrong token sees leader \(hex(status.leader))")
            case .success: break
            case .failure(let problem): problems.append("endpoint status of \(name(member)): \(problem)")
            }
        }
        let alive = processes[member]?.isRunning == true
        let example = refusals(0).first ?? refusals(1).first
        note("7. wrong token: \(name(member)) \(alive ? "kept running" : "exited"); \(writes) writes through m1/m2 meanwhile; \(refusals(member).count) refusals in \(name(member))'s log, \((refusals(0) + refusals(1)).count) in m1's and m2's\(example.map { ", e.g. \($0.prefix(240))" } ?? "")")
        check("7. a member with a fresh data dir and the wrong --initial-cluster-token is refused (no leader once both sides refused each other) while the others keep serving writes", problems)

        stop(member)
        do {
            try FileManager.default.removeItem(atPath: dataDir)
            try FileManager.default.moveItem(atPath: saved, toPath: dataDir)
        } catch {
            return check("7. restore \(name(member))'s data dir", ["\(error)"])
        }
        if let problem = start(member) { return check("7. restart with the right token", [problem]) }
        switch sameState([0, 1, 2]) {
        case .success(let space):
            lastState = space
            note("7. \(name(member)) rejoined with its own data dir: \(space.keys.count) keys at revision \(space.revision) on all three")
            return check("7. restored to its data dir and the right token, \(name(member)) rejoins with the same state", [])
        case .failure(let problem):
            return check("7. restored to its data dir and the right token, \(name(member)) rejoins with the same state", [problem.description])
        }
    }
}
